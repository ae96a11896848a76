global using Tsuzumi.Silo.Extensions;

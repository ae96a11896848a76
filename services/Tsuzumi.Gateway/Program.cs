using Tsuzumi.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayServices();

var app = builder.Build();
app.UseGatewayPipeline();
app.MapGatewayEndpoints();
app.Run();

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSiloServices();
var app = builder.Build();
app.UseAdapterLifecycle();
app.MapDefaultEndpoints();
app.MapSiloEndpoints();
app.Run();

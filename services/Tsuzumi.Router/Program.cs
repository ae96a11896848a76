var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRouterServices();

var app = builder.Build();

app.MapRouterEndpoints();
app.MapDefaultEndpoints();

app.Run();

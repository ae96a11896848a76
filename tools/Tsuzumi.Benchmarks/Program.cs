using System.CommandLine;
using Tsuzumi.Benchmarks;

var root = new RootCommand("tsuzumi bench — speed measurements: the inference runtime against llama.cpp, the gateway against calling the router directly, the batching engine against one request alone, the router's embedder against the package encoder")
{
    DecodeCommand.Create(),
    DecodeRowsCommand.Create(),
    KernelCommand.Create(),
    LoraCommand.Create(),
    AdapterLoadCommand.Create(),
    GatewayCommand.Create(),
    ServeCommand.Create(),
    FanoutCommand.Create(),
    RoutingCommand.Create(),
};

return await root.Parse(args).InvokeAsync();

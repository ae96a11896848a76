using System.CommandLine;
using Tsuzumi.Benchmarks;

var root = new RootCommand("tsuzumi bench — speed measurements of the inference runtime against llama.cpp")
{
    DecodeCommand.Create(),
    KernelCommand.Create(),
    LoraCommand.Create(),
    ServeCommand.Create(),
};

return await root.Parse(args).InvokeAsync();

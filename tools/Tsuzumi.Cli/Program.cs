using System.CommandLine;
using Tsuzumi.Cli.Commands;

var root = new RootCommand("tsuzumi — a constellation of small specialised LLMs")
{
    DoctorCommand.Create(),
    GenerateCommand.Create(),
    TrainCommand.Create(),
    MergeCommand.Create(),
    ConvertAdapterCommand.Create(),
    CorpusCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
    PretrainCommand.Create(),
    ServeCommand.Create(),
    AskCommand.Create(),
};

return await root.Parse(args).InvokeAsync();

using System.CommandLine;

namespace Tsuzumi.Cli.Commands;

/// <summary>
/// <c>tsuzumi bench</c> is listed here so <c>--help</c> shows it; the <c>./tsuzumi</c> script runs it from the benchmark
/// program (tools/Tsuzumi.Benchmarks), which carries llama.cpp as the reference and so stays out of this program.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Speed measurements: `./tsuzumi bench decode` (vs llama.cpp), `bench lora` (multi-adapter), `bench kernel` (see docs/benchmarks.md)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("tsuzumi bench runs from the repository script: ./tsuzumi bench decode --help (tools/Tsuzumi.Benchmarks; results in docs/benchmarks.md)");
            return 2;
        });
        return command;
    }
}

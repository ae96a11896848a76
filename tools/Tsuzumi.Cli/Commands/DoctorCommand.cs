using System.CommandLine;
using Tsuzumi.Inference.Runtime;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi doctor</c>: proves this machine can run the inference runtime.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor", "Check that the tensor runtime (TorchSharp/libtorch) loads and computes on this machine.");
        command.SetAction(_ =>
        {
            var report = TorchRuntime.SelfTest();
            Console.WriteLine($"TorchSharp      {report.TorchSharpVersion}");
            Console.WriteLine($"device          {report.Device}");
            Console.WriteLine($"threads         {report.Threads}");
            Console.WriteLine($"self-test       {report.Description}");
            return report.Passed ? 0 : 1;
        });
        return command;
    }
}

using System.Text.RegularExpressions;

namespace Tsuzumi.Deployment.Tests.Manifests;

public sealed partial class DockerfileTests
{
    private static readonly string Text = File.ReadAllText(DeploymentFiles.Dockerfile);

    [Fact]
    public void The_image_is_built_in_one_stage_and_runs_from_a_runtime_stage_as_a_non_root_user()
    {
        var stages = Stage().Matches(Text).Select(match => (Image: match.Groups[1].Value, Name: match.Groups[2].Value)).ToArray();
        Assert.Equal(["build", "runtime"], stages.Select(stage => stage.Name));
        Assert.Contains("/dotnet/sdk:", stages[0].Image);
        Assert.Contains("/dotnet/aspnet:", stages[1].Image);
        var runtime = Text[Text.IndexOf("AS runtime", StringComparison.Ordinal)..];
        Assert.Matches(@"(?m)^USER \$APP_UID\s*$", runtime);
        Assert.Contains("COPY --from=build", runtime);
        Assert.DoesNotContain("COPY models", Text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("models/", File.ReadAllLines(Path.Combine(DeploymentFiles.Root, ".dockerignore")));
    }

    [Fact]
    public void The_image_serves_http_on_the_port_every_manifest_probes_and_exposes_the_Orleans_ports()
    {
        Assert.Equal(8080, HttpPort);
        Assert.Equal([8080, 11111, 30000], ExposedPorts);
        Assert.Contains($"http://127.0.0.1:{HttpPort}{Microsoft.Extensions.Hosting.Extensions.LivePath}", Text);
    }

    [Fact]
    public void The_published_project_is_named_by_the_SERVICE_argument_and_the_TorchSharp_premise_is_checked()
    {
        Assert.Contains("services/Tsuzumi.${SERVICE}/Tsuzumi.${SERVICE}.csproj", Text);
        Assert.Contains("exec dotnet \\\"Tsuzumi.${TSUZUMI_SERVICE}.dll\\\"", Text);
        Assert.Contains("-p:TsuzumiSkipTorchCompat=true", Text);
        Assert.Contains("GLIBCXX_3.4.32", Text);
        Assert.Contains("'$(TsuzumiSkipTorchCompat)' != 'true'", File.ReadAllText(Path.Combine(DeploymentFiles.Root, "build", "TorchSharpCompat", "TorchSharpCompat.targets")));
    }

    /// <summary>The port ASP.NET Core listens on in the image (ASPNETCORE_HTTP_PORTS).</summary>
    internal static int HttpPort => int.Parse(HttpPorts().Match(Text).Groups[1].Value);

    internal static int[] ExposedPorts => Expose().Matches(Text)
        .SelectMany(match => match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).Order().ToArray();

    [GeneratedRegex(@"(?m)^FROM (\S+) AS (\w+)")]
    private static partial Regex Stage();

    [GeneratedRegex(@"ASPNETCORE_HTTP_PORTS=(\d+)")]
    private static partial Regex HttpPorts();

    [GeneratedRegex(@"(?m)^EXPOSE ([\d ]+)$")]
    private static partial Regex Expose();
}

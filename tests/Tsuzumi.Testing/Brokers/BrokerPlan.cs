namespace Tsuzumi.Testing.Brokers;

/// <summary>What a fixture decided to use; <see cref="SkipReason"/> is set only for <see cref="BrokerSource.Unavailable"/>.</summary>
public sealed record BrokerPlan(BrokerSource Source, string? ExternalUrl, string? LocalServerPath, string? SkipReason);

/// <summary>The resolution order shared by every broker fixture, kept free of I/O so it can be tested directly.</summary>
public static class BrokerResolution
{
    /// <summary>
    /// Picks the broker: the URL variable if set, else Testcontainers when a Docker engine answers,
    /// else the local server if installed, else a skip reason naming all three and how to install the server.
    /// </summary>
    /// <param name="urlVariable">Name of the variable, e.g. <c>RABBITMQ_URL</c> (used in the skip reason).</param>
    /// <param name="urlValue">Its value; blank counts as unset.</param>
    /// <param name="isDockerEngineReachable">Asked only when no URL is set, because probing costs time.</param>
    /// <param name="localServerPath">The server executable this fixture would start.</param>
    /// <param name="isLocalServerInstalled">Whether <paramref name="localServerPath"/> exists.</param>
    /// <param name="installHint">How to get the server, e.g. <c>apt-get install rabbitmq-server</c>.</param>
    public static BrokerPlan Decide(
        string urlVariable,
        string? urlValue,
        Func<bool> isDockerEngineReachable,
        string localServerPath,
        bool isLocalServerInstalled,
        string installHint)
    {
        if (!string.IsNullOrWhiteSpace(urlValue))
            return new BrokerPlan(BrokerSource.EnvironmentUrl, urlValue.Trim(), null, null);
        if (isDockerEngineReachable())
            return new BrokerPlan(BrokerSource.Testcontainers, null, null, null);
        if (isLocalServerInstalled)
            return new BrokerPlan(BrokerSource.LocalProcess, null, localServerPath, null);
        var serverName = Path.GetFileName(localServerPath);
        return new BrokerPlan(
            BrokerSource.Unavailable, null, null,
            $"no {urlVariable}, no Docker engine, no {serverName} installed at {localServerPath} ({installHint})");
    }
}

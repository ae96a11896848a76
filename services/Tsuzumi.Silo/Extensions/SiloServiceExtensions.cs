using Orleans.Configuration;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Extensions;

/// <summary>Everything the silo host registers; <c>Program.cs</c> only calls these.</summary>
public static class SiloServiceExtensions
{
    /// <param name="builder">The host.</param>
    /// <param name="ownBus">
    /// False when another part of the same host owns the MassTransit bus (the embedded constellation, where the router's
    /// bus carries the <c>AskSpecialist</c> consumer: <see cref="MessagingExtensions.AddSpecialistConsumer"/>).
    /// </param>
    public static IHostApplicationBuilder AddSiloServices(this IHostApplicationBuilder builder, bool ownBus = true)
    {
        builder.AddSpecialistHosting();
        builder.UseOrleans(silo =>
        {
            var configuration = builder.Configuration;
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = configuration["Orleans:ClusterId"] ?? "tsuzumi";
                options.ServiceId = configuration["Orleans:ServiceId"] ?? "tsuzumi";
            });
            // Orleans reads the "Orleans:Clustering" section itself (ProviderType=Redis with ConnectionString or
            // ConnectionName, as Aspire and Kubernetes set it); only without one does the silo cluster on localhost.
            if (configuration["Orleans:Clustering:ProviderType"] is not { Length: > 0 })
            {
                silo.UseLocalhostClustering(
                    siloPort: configuration.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
                    gatewayPort: configuration.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT));
            }
            // Orleans binds ports (Orleans:Endpoints) but not the liveness protocol: Orleans:Membership tunes how fast a
            // dead silo is declared dead (ProbeTimeout, NumMissedProbesLimit, ...). A misspelt key stops the start.
            silo.Services.AddOptions<ClusterMembershipOptions>()
                .Bind(configuration.GetSection(MembershipSection), binder => binder.ErrorOnUnknownConfiguration = true);
            // In a pod: silo name, advertised IP and cluster/service ids come from the downward API (POD_* and the
            // orleans/* labels), and silos whose pods are gone are removed from membership at once.
            if (RunsInKubernetes(configuration)) silo.UseKubernetesHosting();
            silo.AddSpecialistPlacement(configuration, builder.Environment.ContentRootPath);
        });
        if (ownBus) builder.Services.AddSpecialistMessaging(builder.Configuration);
        builder.AddAdapterLifecycle();
        return builder;
    }

    /// <summary>Configuration section bound to Orleans' <see cref="ClusterMembershipOptions"/>.</summary>
    public const string MembershipSection = "Orleans:Membership";

    /// <summary>Environment keys the Kubernetes manifests set from the downward API; <c>POD_NAMESPACE</c> switches Kubernetes hosting on.</summary>
    public static readonly IReadOnlyList<string> KubernetesEnvironmentKeys = ["POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID"];

    /// <summary>Kubernetes hosting is on when the pod's namespace is known, unless <c>Orleans:Kubernetes:Enabled</c> says otherwise.</summary>
    public static bool RunsInKubernetes(IConfiguration configuration) =>
        configuration.GetValue("Orleans:Kubernetes:Enabled", defaultValue: !string.IsNullOrEmpty(configuration["POD_NAMESPACE"]));

    /// <summary>
    /// <c>GET /silo/engines</c>: what each hosted base model's engine has done (batch sizes, queue).
    /// <c>GET /silo/specialists</c>: the specialists active on this silo, with what each activation has served.
    /// </summary>
    public static IEndpointRouteBuilder MapSiloEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/silo/engines", (ModelHost host) => host.Loaded.Select(model => new { model.Id, Statistics = model.Engine.Statistics }));
        endpoints.MapGet("/silo/specialists", async (IGrainFactory grains, ILocalSiloDetails silo) =>
        {
            var specialistType = grains.GetGrain<ISpecialistGrain>("-").GetGrainId().Type;
            var here = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(hostsIds: [silo.SiloAddress]);
            var active = here.Where(grain => grain.GrainId.Type == specialistType).Select(grain => grain.GrainId.Key.ToString()!).Distinct();
            // The activations are local, so these calls do not leave the silo.
            var stats = await Task.WhenAll(active.Select(id => grains.GetGrain<ISpecialistGrain>(id).GetStatsAsync()));
            return new { Silo = silo.SiloAddress.ToString(), Specialists = stats.OrderBy(specialist => specialist.SpecialistId, StringComparer.Ordinal) };
        });
        endpoints.MapAdapterLifecycleEndpoints();
        return endpoints;
    }
}

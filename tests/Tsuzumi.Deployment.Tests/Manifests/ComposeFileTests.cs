using Tsuzumi.Catalog;
using HealthPaths = Microsoft.Extensions.Hosting.Extensions;

namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>docker-compose.yml read into a typed model and held against the Dockerfile, the code and the Kubernetes manifests.</summary>
public sealed class ComposeFileTests
{
    private static readonly ComposeFile Compose = ComposeFile.Load(DeploymentFiles.ComposeFile);

    private static readonly string[] ApplicationServices = ["silo-1", "silo-2", "router", "gateway"];

    [Fact]
    public void Compose_runs_the_broker_redis_two_silos_a_router_and_the_gateway_each_started_after_what_it_needs_is_healthy()
    {
        Assert.Superset(new HashSet<string>(["rabbitmq", "redis", .. ApplicationServices]), Compose.Services.Keys.ToHashSet());
        foreach (var (name, service) in Compose.Services)
        {
            foreach (var (dependency, condition) in service.DependsOn)
            {
                Assert.True(Compose.Services.ContainsKey(dependency), $"{name} depends on unknown service {dependency}");
                Assert.Contains(condition.Condition, new[] { "service_healthy", "service_started" });
            }
        }
        foreach (var name in ApplicationServices)
        {
            var service = Compose.Services[name];
            Assert.True(service.DependsOn.Count > 0, $"{name} has no depends_on");
            Assert.All(service.DependsOn.Where(dependency => Compose.Services[dependency.Key].Healthcheck is not null),
                dependency => Assert.Equal("service_healthy", dependency.Value.Condition));
            Assert.NotNull(service.Healthcheck);
            // Ready, not just live: a silo counts only once its models are loaded, a router once its bus is connected.
            Assert.Contains($"http://127.0.0.1:{DockerfileTests.HttpPort}{HealthPaths.ReadyPath}", service.Healthcheck!.Test);
        }
        Assert.Equal("service_healthy", Compose.Services["gateway"].DependsOn["router"].Condition);
        Assert.Equal("service_healthy", Compose.Services["router"].DependsOn["rabbitmq"].Condition);
    }

    [Fact]
    public void Every_application_service_is_built_from_the_one_Dockerfile_for_an_existing_project_under_the_image_name_Kubernetes_uses()
    {
        var kubernetesImages = KubernetesManifests.LoadBase().OfType<k8s.Models.V1Deployment>()
            .SelectMany(deployment => deployment.Spec.Template.Spec.Containers).Select(container => container.Image).ToHashSet();
        foreach (var name in ApplicationServices)
        {
            var service = Compose.Services[name];
            Assert.NotNull(service.Build);
            Assert.Equal(".", service.Build!.Context);
            Assert.Equal(DeploymentFiles.Dockerfile, Path.GetFullPath(service.Build.Dockerfile!, DeploymentFiles.Root));
            var project = service.Build.Args["SERVICE"];
            Assert.True(DeploymentFiles.ServiceProjectExists(project), $"{name}: SERVICE={project} names no project under services/");
            Assert.Equal(project, DeploymentFiles.ServiceOfImage(service.Image));
            Assert.Contains(service.Image!.Split(':')[0], kubernetesImages);
        }
    }

    [Fact]
    public void Every_environment_variable_of_an_application_service_names_configuration_its_code_reads()
    {
        foreach (var name in ApplicationServices)
        {
            var service = Compose.Services[name];
            var keys = ServiceConfigurationKeys.Of(service.Build!.Args["SERVICE"]);
            Assert.NotEmpty(service.Environment);
            Assert.All(service.Environment.Keys, key => Assert.True(keys.Reads(key), $"{name}: {key} is read by no code of {service.Build.Args["SERVICE"]}"));
        }
    }

    [Fact]
    public void Models_and_the_catalog_are_mounted_read_only_so_the_catalog_paths_resolve_to_the_models_inside_the_container()
    {
        foreach (var name in new[] { "silo-1", "silo-2" })
        {
            var silo = Compose.Services[name];
            var catalogInContainer = silo.Environment["Constellation__Catalog"];
            var catalogMount = silo.Mounts.Single(mount => catalogInContainer.StartsWith(mount.Container + "/", StringComparison.Ordinal));
            Assert.True(catalogMount.ReadOnly);
            var catalogOnHost = Path.Combine(DeploymentFiles.Root, catalogMount.Host, Path.GetRelativePath(catalogMount.Container, catalogInContainer));
            Assert.True(File.Exists(catalogOnHost), $"{name}: the catalog {catalogInContainer} comes from {catalogOnHost}, which does not exist");

            var models = silo.Mounts.Single(mount => mount.Container == "/models");
            Assert.True(models.ReadOnly);
            Assert.True(Directory.Exists(Path.Combine(DeploymentFiles.Root, models.Host)));
            var catalog = CatalogLoader.Parse(File.ReadAllBytes(catalogOnHost), Path.GetDirectoryName(catalogInContainer)!, verifyFiles: false);
            Assert.NotEmpty(catalog.Catalog.Specialists);
            foreach (var path in CatalogPaths(catalog.Catalog))
                Assert.StartsWith("/models/", path);
        }
        var router = Compose.Services["router"];
        Assert.Contains(router.Mounts, mount => router.Environment["Constellation__Catalog"].StartsWith(mount.Container + "/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_gateway_reads_its_keys_from_the_mounted_file_and_proxies_to_the_router_service()
    {
        var gateway = Compose.Services["gateway"];
        var keysFile = gateway.Environment["Gateway__ApiKeysFile"];
        var mount = gateway.Mounts.Single(mount => mount.Container == keysFile);
        Assert.True(mount.ReadOnly);
        Assert.Contains("\"Sha256\"", File.ReadAllText(Path.Combine(DeploymentFiles.Root, mount.Host)));
        var router = new Uri(gateway.Environment["ReverseProxy__Clusters__router__Destinations__router-1__Address"]);
        Assert.True(Compose.Services.ContainsKey(router.Host));
        Assert.Equal(DockerfileTests.HttpPort, router.Port);
        // The shipped defaults bind loopback; in a container the gateway must listen on every interface.
        Assert.Equal($"http://+:{DockerfileTests.HttpPort}", gateway.Environment["ASPNETCORE_URLS"]);
        Assert.Contains($"{DockerfileTests.HttpPort}:{DockerfileTests.HttpPort}", gateway.Ports);
    }

    [Fact]
    public void The_dapr_profile_gives_each_silo_a_sidecar_on_its_network_with_a_pubsub_on_the_same_rabbitmq()
    {
        var sidecars = Compose.Services.Where(service => service.Value.Profiles.Contains("dapr")).ToArray();
        Assert.Equal(["service:silo-1", "service:silo-2"], sidecars.Select(sidecar => sidecar.Value.NetworkMode).Order());
        foreach (var (_, sidecar) in sidecars)
        {
            var arguments = sidecar.Command;
            Assert.Equal(DockerfileTests.HttpPort.ToString(), arguments[arguments.IndexOf("--app-port") + 1]);
            var components = sidecar.Mounts.Single(mount => mount.Container == arguments[arguments.IndexOf("--resources-path") + 1]);
            Assert.Equal(DeploymentFiles.DaprComponents, Path.GetFullPath(components.Host, DeploymentFiles.Root));
        }
        var pubsub = KubernetesManifests.Parse([File.ReadAllText(Path.Combine(DeploymentFiles.DaprComponents, "pubsub.yaml"))]).DaprComponents.Single();
        Assert.Equal("pubsub.rabbitmq", pubsub["spec"]["type"].ToString());
        var connection = ((YamlDotNet.RepresentationModel.YamlSequenceNode)pubsub["spec"]["metadata"]).Children
            .Cast<YamlDotNet.RepresentationModel.YamlMappingNode>().Single(item => item["name"].ToString() == "connectionString")["value"].ToString();
        Assert.Equal(new Uri(Compose.Services["silo-1"].Environment["ConnectionStrings__rabbitmq"]), new Uri(connection));
    }

    internal static IEnumerable<string> CatalogPaths(ConstellationCatalog catalog) =>
        catalog.BaseModels.Select(model => model.Path).Concat(catalog.Specialists.SelectMany(specialist => specialist.Adapters.Select(adapter => adapter.Path)));
}

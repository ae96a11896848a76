using k8s;
using k8s.Models;
using Tsuzumi.Catalog;
using YamlDotNet.RepresentationModel;
using HealthPaths = Microsoft.Extensions.Hosting.Extensions;

namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>deploy/k8s read with KubernetesClient's typed models and held against the code, the Dockerfile and each other.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly KubernetesManifests Base = KubernetesManifests.LoadBase();

    private static IEnumerable<V1Deployment> ApplicationDeployments =>
        Base.OfType<V1Deployment>().Where(deployment => DeploymentFiles.ServiceOfImage(deployment.Spec.Template.Spec.Containers[0].Image) is not null);

    private static IEnumerable<V1PodTemplateSpec> PodTemplates =>
        Base.OfType<V1Deployment>().Select(deployment => deployment.Spec.Template).Concat(Base.OfType<V1StatefulSet>().Select(set => set.Spec.Template));

    [Fact]
    public void The_base_lists_only_files_that_exist_and_each_parses_strictly_into_typed_objects()
    {
        var kustomization = Kustomization.Load(DeploymentFiles.KubernetesBase);
        Assert.All(kustomization.Resources.Concat(kustomization.Files), file => Assert.True(File.Exists(Path.Combine(DeploymentFiles.KubernetesBase, file)), file));
        var listed = kustomization.Resources.Concat(kustomization.Files).Select(file => Path.GetFullPath(file, DeploymentFiles.KubernetesBase)).ToHashSet();
        var unlisted = Directory.EnumerateFiles(DeploymentFiles.KubernetesBase, "*.yaml", SearchOption.AllDirectories)
            .Where(file => Path.GetFileName(file) != "kustomization.yaml" && !listed.Contains(file));
        Assert.Empty(unlisted);
        Assert.Equal(["tsuzumi-gateway", "tsuzumi-router", "tsuzumi-silo"], ApplicationDeployments.Select(deployment => deployment.Metadata.Name).Order());
        Assert.Single(Base.OfType<V1StatefulSet>(), set => set.Metadata.Name == "rabbitmq");
        Assert.Single(Base.OfType<V1Deployment>(), deployment => deployment.Metadata.Name == "redis");
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Each_overlay_names_existing_files_and_patches_only_objects_the_base_defines(string overlay)
    {
        var folder = DeploymentFiles.KubernetesOverlay(overlay);
        var kustomization = Kustomization.Load(folder);
        Assert.Contains("../../base", kustomization.Resources);
        Assert.All(kustomization.Resources, resource => Assert.True(File.Exists(Path.Combine(folder, resource)) || Directory.Exists(Path.Combine(folder, resource)), resource));
        Assert.All(kustomization.Files, file => Assert.True(File.Exists(Path.Combine(folder, file)), file));
        var defined = Base.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Select(item => (item.Kind, item.Metadata.Name)).ToHashSet();
        foreach (var patch in kustomization.PatchFiles)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(Path.Combine(folder, patch))));
            foreach (var document in stream.Documents.Select(document => (YamlMappingNode)document.RootNode))
            {
                var target = (document["kind"].ToString(), document["metadata"]["name"].ToString());
                Assert.True(defined.Contains(target), $"{overlay}/{patch} patches {target}, which the base does not define");
            }
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Each_overlay_renders_with_kustomize_into_typed_objects_whose_config_maps_and_secrets_are_provided(string overlay)
    {
        var rendered = KubernetesManifests.RenderOverlay(overlay);
        var kustomization = Kustomization.Load(DeploymentFiles.KubernetesOverlay(overlay));
        var configMaps = rendered.OfType<V1ConfigMap>().Select(map => map.Metadata.Name).ToHashSet();
        var secrets = rendered.OfType<V1Secret>().Select(secret => secret.Metadata.Name).ToHashSet();
        var namespaces = rendered.OfType<V1Namespace>().Select(ns => ns.Metadata.Name).ToArray();
        Assert.Single(namespaces);
        Assert.All(rendered.Objects.Cast<IKubernetesObject<V1ObjectMeta>>().Where(item => item is not V1Namespace),
            item => Assert.Equal(namespaces[0], item.Metadata.NamespaceProperty));

        var referencedSecrets = new HashSet<string>();
        foreach (var pod in rendered.OfType<V1Deployment>().Select(deployment => deployment.Spec.Template.Spec)
                     .Concat(rendered.OfType<V1StatefulSet>().Select(set => set.Spec.Template.Spec)))
        {
            foreach (var volume in pod.Volumes ?? [])
            {
                if (volume.ConfigMap is { } map) Assert.Contains(map.Name, configMaps);
                if (volume.Secret is { } secret) referencedSecrets.Add(secret.SecretName);
            }
            foreach (var env in pod.Containers.SelectMany(container => container.Env ?? []))
                if (env.ValueFrom?.SecretKeyRef is { } key) referencedSecrets.Add(key.Name);
        }
        Assert.NotEmpty(referencedSecrets);
        if (overlay == "dev")
            Assert.Subset(secrets, referencedSecrets); // dev generates every secret it uses
        else
            Assert.Empty(secrets); // production secrets never live in git: created out of band (see the overlay)
        Assert.Subset(kustomization.GeneratedSecrets.ToHashSet(), secrets);
    }

    [Fact]
    public void Containers_listen_on_the_ports_the_image_serves_and_services_point_at_named_ports_of_the_pods_they_select()
    {
        foreach (var deployment in ApplicationDeployments)
        {
            var container = deployment.Spec.Template.Spec.Containers.Single();
            Assert.Equal(DockerfileTests.HttpPort, container.Ports.Single(port => port.Name == "http").ContainerPort);
            Assert.Subset(DockerfileTests.ExposedPorts.ToHashSet(), container.Ports.Select(port => port.ContainerPort).ToHashSet());
        }
        var silo = Base.Deployment("tsuzumi-silo").Spec.Template.Spec.Containers.Single();
        Assert.Equal(DockerfileTests.ExposedPorts, silo.Ports.Select(port => port.ContainerPort).Order());

        foreach (var service in Base.OfType<V1Service>())
        {
            var pods = PodTemplates.Where(template => Selects(service.Spec.Selector, template.Metadata.Labels)).ToArray();
            Assert.True(pods.Length > 0, $"Service {service.Metadata.Name} selects no pods");
            foreach (var port in service.Spec.Ports)
                Assert.All(pods, pod => Assert.Contains(pod.Spec.Containers.SelectMany(container => container.Ports), containerPort => containerPort.Name == port.TargetPort.Value));
        }
    }

    [Fact]
    public void Probes_call_the_health_endpoints_the_services_map_on_a_declared_port()
    {
        foreach (var deployment in ApplicationDeployments)
        {
            var container = deployment.Spec.Template.Spec.Containers.Single();
            Assert.Equal(HealthPaths.LivePath, container.LivenessProbe.HttpGet.Path);
            Assert.Equal(HealthPaths.ReadyPath, container.ReadinessProbe.HttpGet.Path);
            foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe }.OfType<V1Probe>())
                Assert.Contains(container.Ports, port => port.Name == probe.HttpGet.Port.Value);
        }
    }

    [Fact]
    public void Every_environment_variable_names_configuration_the_service_code_reads()
    {
        foreach (var deployment in ApplicationDeployments)
        {
            var container = deployment.Spec.Template.Spec.Containers.Single();
            var service = DeploymentFiles.ServiceOfImage(container.Image)!;
            var keys = ServiceConfigurationKeys.Of(service);
            Assert.All(container.Env, env => Assert.True(keys.Reads(env.Name), $"{deployment.Metadata.Name}: {env.Name} is read by no code of {service}"));
            foreach (var env in container.Env.Where(env => env.ValueFrom?.FieldRef is not null))
            {
                var path = env.ValueFrom.FieldRef.FieldPath;
                if (!path.StartsWith("metadata.labels['", StringComparison.Ordinal)) continue;
                var label = path["metadata.labels['".Length..^2];
                Assert.True(deployment.Spec.Template.Metadata.Labels.ContainsKey(label), $"{env.Name} reads label {label}, which the pod lacks");
            }
        }
    }

    [Fact]
    public void Silos_use_Orleans_Kubernetes_hosting_roll_out_without_losing_capacity_and_may_manage_their_pods()
    {
        var silo = Base.Deployment("tsuzumi-silo");
        var pod = silo.Spec.Template;
        var env = pod.Spec.Containers.Single().Env.ToDictionary(variable => variable.Name);
        Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.labels['orleans/serviceId']", env["ORLEANS_SERVICE_ID"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.labels['orleans/clusterId']", env["ORLEANS_CLUSTER_ID"].ValueFrom.FieldRef.FieldPath);
        Assert.Contains("UseKubernetesHosting()", File.ReadAllText(Path.Combine(DeploymentFiles.ServiceProjectFolder("Silo"), "Extensions", "SiloServiceExtensions.cs")));

        Assert.Equal("RollingUpdate", silo.Spec.Strategy.Type);
        Assert.Equal("0", silo.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.True(pod.Spec.TerminationGracePeriodSeconds >= 120, "silos need time to hand over activations and finish generations");

        var account = pod.Spec.ServiceAccountName;
        var binding = Base.OfType<V1RoleBinding>().Single(binding => binding.Subjects.Any(subject => subject.Kind == "ServiceAccount" && subject.Name == account));
        var role = Base.Single<V1Role>(binding.RoleRef.Name, role => role.Metadata.Name);
        var pods = role.Rules.Single(rule => rule.Resources.Contains("pods"));
        Assert.Equal([""], pods.ApiGroups);
        Assert.Equal(["delete", "get", "list", "watch"], pods.Verbs.Order());
        Assert.Contains(Base.OfType<V1ServiceAccount>(), serviceAccount => serviceAccount.Metadata.Name == account);
    }

    [Fact]
    public void Silos_and_the_routers_Orleans_client_join_the_same_cluster()
    {
        var labels = Base.Deployment("tsuzumi-silo").Spec.Template.Metadata.Labels;
        var routerEnv = Base.Deployment("tsuzumi-router").Spec.Template.Spec.Containers.Single().Env.ToDictionary(env => env.Name, env => env.Value);
        Assert.True(ServiceConfigurationKeys.Of("Router").Reads("Orleans__ClusterId"), "the router's Orleans client must read the cluster id");
        Assert.Equal(routerEnv["Orleans__ClusterId"], labels["orleans/clusterId"]);
        Assert.Equal(routerEnv["Orleans__ServiceId"], labels["orleans/serviceId"]);
        var siloEnv = Base.Deployment("tsuzumi-silo").Spec.Template.Spec.Containers.Single().Env.ToDictionary(env => env.Name, env => env.Value);
        Assert.Equal("Redis", siloEnv["Orleans__Clustering__ProviderType"]);
        Assert.Equal(siloEnv["Orleans__Clustering__ProviderType"], routerEnv["Orleans__Clustering__ProviderType"]);
        Assert.Equal(siloEnv["Orleans__Clustering__ConnectionString"], routerEnv["Orleans__Clustering__ConnectionString"]);
        var redisAddress = siloEnv["Orleans__Clustering__ConnectionString"].Split(':');
        var redis = Base.Single<V1Service>(redisAddress[0], service => service.Metadata.Name);
        Assert.Equal(int.Parse(redisAddress[1]), redis.Spec.Ports.Single().Port);
    }

    [Fact]
    public void Every_container_declares_resource_requests_and_limits_and_runs_as_non_root()
    {
        foreach (var pod in PodTemplates)
        {
            Assert.True(pod.Spec.SecurityContext?.RunAsNonRoot, $"{pod.Metadata.Labels["app.kubernetes.io/name"]} may run as root");
            foreach (var container in pod.Spec.Containers)
            {
                Assert.Superset(new HashSet<string>(["cpu", "memory"]), container.Resources.Requests.Keys.ToHashSet());
                Assert.Superset(new HashSet<string>(["cpu", "memory"]), container.Resources.Limits.Keys.ToHashSet());
                Assert.True(container.Resources.Requests["memory"].ToDecimal() <= container.Resources.Limits["memory"].ToDecimal(), container.Name);
            }
        }
    }

    [Fact]
    public void Autoscalers_disruption_budgets_and_network_policies_act_on_workloads_that_exist()
    {
        var deployments = Base.OfType<V1Deployment>().Select(deployment => deployment.Metadata.Name).ToHashSet();
        Assert.Equal(["tsuzumi-gateway", "tsuzumi-router", "tsuzumi-silo"], Base.OfType<V2HorizontalPodAutoscaler>().Select(hpa => hpa.Spec.ScaleTargetRef.Name).Order());
        Assert.All(Base.OfType<V2HorizontalPodAutoscaler>(), hpa => Assert.Contains(hpa.Spec.ScaleTargetRef.Name, deployments));
        Assert.Equal(3, Base.OfType<V1PodDisruptionBudget>().Count());
        Assert.All(Base.OfType<V1PodDisruptionBudget>(), budget => Assert.Single(PodTemplates, pod => Selects(budget.Spec.Selector.MatchLabels, pod.Metadata.Labels)));

        var policies = Base.OfType<V1NetworkPolicy>().ToArray();
        Assert.Contains(policies, policy => policy.Spec.PodSelector.MatchLabels is null && policy.Spec.Ingress is null); // default deny
        foreach (var policy in policies.Where(policy => policy.Spec.PodSelector.MatchLabels is not null))
        {
            Assert.Single(PodTemplates, pod => Selects(policy.Spec.PodSelector.MatchLabels, pod.Metadata.Labels));
            foreach (var peer in policy.Spec.Ingress.SelectMany(rule => rule.FromProperty ?? []))
                Assert.Single(PodTemplates, pod => Selects(peer.PodSelector.MatchLabels, pod.Metadata.Labels));
        }
        // Only the gateway may reach the router: that is what lets the router trust X-Tsuzumi-Tenant.
        var router = policies.Single(policy => policy.Metadata.Name == "tsuzumi-router");
        Assert.Equal(["tsuzumi-gateway"], router.Spec.Ingress.SelectMany(rule => rule.FromProperty).Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]));
    }

    [Fact]
    public void The_catalog_config_map_is_a_valid_catalog_mounted_as_a_folder_whose_paths_land_on_the_models_volume()
    {
        var kustomization = Kustomization.Load(DeploymentFiles.KubernetesBase);
        Assert.Contains("tsuzumi-catalog", kustomization.GeneratedConfigMaps);
        var catalogFile = Path.Combine(DeploymentFiles.KubernetesBase, "catalog", "constellation.json");
        Assert.Equal(File.ReadAllText(DeploymentFiles.RepositoryCatalog), File.ReadAllText(catalogFile));
        // The catalog names its labelled queries by a path beside it: the ConfigMap carries that file too, unchanged.
        var labelledQueries = CatalogLoader.Load(catalogFile, verifyFiles: false).Catalog.Routing.LabelledQueries!;
        Assert.Contains($"{Path.GetFileName(labelledQueries)}=catalog/{Path.GetFileName(labelledQueries)}", kustomization.ConfigMapFiles["tsuzumi-catalog"]);
        Assert.Equal(File.ReadAllText(Path.Combine(DeploymentFiles.Root, "config", Path.GetFileName(labelledQueries))), File.ReadAllText(labelledQueries));

        foreach (var deployment in new[] { "tsuzumi-silo", "tsuzumi-router" }.Select(Base.Deployment))
        {
            var pod = deployment.Spec.Template.Spec;
            var container = pod.Containers.Single();
            var catalogVolume = pod.Volumes.Single(volume => volume.ConfigMap?.Name == "tsuzumi-catalog");
            var mount = container.VolumeMounts.Single(mount => mount.Name == catalogVolume.Name);
            Assert.Null(mount.SubPath); // a subPath mount never sees ConfigMap updates: no hot reload
            var env = container.Env.Single(env => env.Name == "Constellation__Catalog").Value;
            Assert.Equal($"{mount.MountPath}/constellation.json", env);

            var catalog = CatalogLoader.Parse(File.ReadAllBytes(catalogFile), mount.MountPath, verifyFiles: false);
            // The labelled queries lie in the pod beside the catalog (the ConfigMap carries them, above), not on this machine.
            Assert.Equal($"{mount.MountPath}/{Path.GetFileName(labelledQueries)}", catalog.Catalog.Routing.LabelledQueries);
            Assert.DoesNotContain(catalog.Problems, problem => problem.Entry != "routing.labelledQueries");
            if (deployment.Metadata.Name != "tsuzumi-silo") continue;
            var models = container.VolumeMounts.Single(mount => pod.Volumes.Single(volume => volume.Name == mount.Name).PersistentVolumeClaim is not null);
            Assert.True(models.ReadOnlyProperty);
            Assert.All(ComposeFileTests.CatalogPaths(catalog.Catalog), path => Assert.StartsWith(models.MountPath + "/", path));
        }
    }

    [Fact]
    public void The_gateway_reads_its_keys_from_the_secret_and_proxies_to_the_router_service()
    {
        var gateway = Base.Deployment("tsuzumi-gateway").Spec.Template.Spec;
        var env = gateway.Containers.Single().Env.ToDictionary(variable => variable.Name, variable => variable.Value);
        var keysFile = env["Gateway__ApiKeysFile"];
        var mount = gateway.Containers.Single().VolumeMounts.Single(mount => keysFile.StartsWith(mount.MountPath + "/", StringComparison.Ordinal));
        Assert.Equal("tsuzumi-api-keys", gateway.Volumes.Single(volume => volume.Name == mount.Name).Secret.SecretName);
        Assert.True(File.Exists(Path.Combine(DeploymentFiles.KubernetesOverlay("dev"), "api-keys.dev.json")));

        var destination = new Uri(env["ReverseProxy__Clusters__router__Destinations__router-1__Address"]);
        var router = Base.Single<V1Service>(destination.Host, service => service.Metadata.Name);
        Assert.Equal(destination.Port, router.Spec.Ports.Single().Port);
        Assert.Equal($"http://+:{DockerfileTests.HttpPort}", env["ASPNETCORE_URLS"]);
    }

    [Fact]
    public void Silos_carry_the_Dapr_sidecar_annotations_and_the_pubsub_runs_on_the_same_rabbitmq_for_silos_only()
    {
        var silo = Base.Deployment("tsuzumi-silo").Spec.Template;
        var annotations = silo.Metadata.Annotations;
        Assert.Equal("true", annotations["dapr.io/enabled"]);
        Assert.Equal(silo.Spec.Containers.Single().Ports.Single(port => port.Name == "http").ContainerPort.ToString(), annotations["dapr.io/app-port"]);
        var component = Base.DaprComponents.Single();
        Assert.Equal("pubsub.rabbitmq", component["spec"]["type"].ToString());
        Assert.Equal([annotations["dapr.io/app-id"]], ((YamlSequenceNode)component["scopes"]).Children.Select(node => node.ToString()));
        var connection = ((YamlSequenceNode)component["spec"]["metadata"]).Children.Cast<YamlMappingNode>().Single(item => item["name"].ToString() == "connectionString");
        var siloBroker = silo.Spec.Containers.Single().Env.Single(env => env.Name == "ConnectionStrings__rabbitmq").ValueFrom.SecretKeyRef;
        Assert.Equal(siloBroker.Name, connection["secretKeyRef"]["name"].ToString());
        Assert.Equal(siloBroker.Key, connection["secretKeyRef"]["key"].ToString());
    }

    private static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
}

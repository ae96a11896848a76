using Microsoft.Extensions.Configuration;
using Tsuzumi.Catalog;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Tests.Hosting;

public sealed class ModelHostOptionsTests
{
    private static readonly ConstellationCatalog Catalog = new(
        [new BaseModelDefinition("nano", "/models/nano"), new BaseModelDefinition("small", "/models/small")], [], new RoutingDefaults(), "v1");

    private static ModelHostOptions Read(params (string Key, string Value)[] settings) =>
        ModelHostOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(pair => KeyValuePair.Create(pair.Key, (string?)pair.Value))).Build());

    [Fact]
    public void Base_models_come_as_a_list_or_as_one_comma_separated_value()
    {
        Assert.Equal(["nano", "small"], Read(("Silo:BaseModels:0", "nano"), ("Silo:BaseModels:1", "small")).ResolveHosted(Catalog));
        Assert.Equal(["nano", "small"], Read(("Silo:BaseModels", "nano, small")).ResolveHosted(Catalog));
    }

    [Fact]
    public void A_star_hosts_every_base_model_and_nothing_hosts_none()
    {
        Assert.Equal(["nano", "small"], Read(("Silo:BaseModels", "*")).ResolveHosted(Catalog));
        Assert.Empty(Read().ResolveHosted(Catalog));
        Assert.Empty(Read(("Silo:BaseModels", "")).ResolveHosted(Catalog));
    }

    [Fact]
    public void A_base_model_the_catalog_lacks_stops_the_silo_with_its_name()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(("Silo:BaseModels", "nano,large")).ResolveHosted(Catalog));

        Assert.Contains("'large'", error.Message);
        Assert.Contains("nano, small", error.Message);
    }

    [Fact]
    public void Nonsense_limits_are_refused_at_startup()
    {
        Assert.Throws<InvalidOperationException>(() => Read(("Silo:MaxBatchSize", "0")));
        Assert.Contains("PrefillGroupWaitMs", Assert.Throws<InvalidOperationException>(() => Read(("Silo:PrefillGroupWaitMs", "-1"))).Message);
    }

    [Fact]
    public void The_prefill_group_wait_is_read_in_milliseconds_and_zero_turns_it_off()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(12.5), Read(("Silo:PrefillGroupWaitMs", "12.5")).PrefillGroupWait);
        Assert.Equal(TimeSpan.Zero, Read(("Silo:PrefillGroupWaitMs", "0")).PrefillGroupWait);
        Assert.Equal(TimeSpan.FromMilliseconds(5), Read().PrefillGroupWait);
    }
}

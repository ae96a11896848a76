using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Querying;

/// <summary>
/// Who answers a query: the specialists the caller named, or the router's choice. <see cref="Unknown"/> names a
/// requested specialist that does not exist for the tenant (404: another tenant's specialist is not revealed).
/// </summary>
public sealed record SpecialistSelection(IReadOnlyList<ChosenSpecialist> Chosen, RouteDecision? Route, string? Unknown = null);

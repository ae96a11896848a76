using Tsuzumi.Catalog;

namespace Tsuzumi.Router;

/// <summary>Who is asking: the tenant and role the gateway vouched for (decision 0005); without headers, tenant public.</summary>
public sealed record Caller(string Tenant, bool IsAdmin)
{
    public const string TenantHeader = "X-Tsuzumi-Tenant";
    public const string RoleHeader = "X-Tsuzumi-Role";

    public static Caller From(HttpContext context)
    {
        var tenant = context.Request.Headers[TenantHeader].ToString().Trim();
        var role = context.Request.Headers[RoleHeader].ToString().Trim();
        return new Caller(
            tenant.Length == 0 ? ConstellationCatalog.PublicTenant : tenant,
            string.Equals(role, "admin", StringComparison.OrdinalIgnoreCase));
    }
}

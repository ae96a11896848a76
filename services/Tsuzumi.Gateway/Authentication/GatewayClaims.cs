namespace Tsuzumi.Gateway.Authentication;

internal static class GatewayClaims
{
    public const string Tenant = "tsuzumi/tenant";
    public const string KeyName = "tsuzumi/key";
}

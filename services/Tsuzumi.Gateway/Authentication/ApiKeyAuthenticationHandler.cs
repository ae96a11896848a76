using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Tsuzumi.Gateway.Errors;

namespace Tsuzumi.Gateway.Authentication;

/// <summary>
/// <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c> → a principal carrying the key's tenant and roles. In the
/// no-keys mode every caller is tenant <c>public</c> without roles.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRegistry registry)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ApiKeyHeader = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!registry.RequiresKeys)
            return Task.FromResult(Success(new Claim(GatewayClaims.Tenant, ApiKeyRegistry.PublicTenant)));

        var presented = PresentedKey(Request);
        if (presented is null) return Task.FromResult(AuthenticateResult.NoResult());
        if (registry.Match(presented) is not { } identity) return Task.FromResult(AuthenticateResult.Fail("The API key is not recognised."));

        var claims = new List<Claim>
        {
            new(GatewayClaims.KeyName, identity.Name),
            new(ClaimTypes.Name, identity.Name),
            new(GatewayClaims.Tenant, identity.Tenant),
        };
        if (identity.IsAdmin) claims.Add(new Claim(ClaimTypes.Role, ApiKeyRegistry.AdminRole));
        return Task.FromResult(Success([.. claims]));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = PresentedKey(Request) is null
            ? "Send an API key as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'."
            : "The API key is not recognised.";
        return GatewayProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        GatewayProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden",
            registry.RequiresKeys
                ? "This route needs a key with the admin role."
                : "Admin routes are closed while no API keys are configured; configure a key with the admin role.");

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    private static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var bearer = authorization["Bearer ".Length..].Trim();
            if (bearer.Length > 0) return bearer;
        }
        var apiKey = request.Headers[ApiKeyHeader].ToString().Trim();
        return apiKey.Length > 0 ? apiKey : null;
    }
}

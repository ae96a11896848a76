using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tsuzumi.Router.Api;

/// <summary>JSON settings of the router's own API: camelCase, and unknown fields refused so typos do not pass silently.</summary>
public static class RouterJson
{
    public static readonly JsonSerializerOptions Requests = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static readonly JsonSerializerOptions Responses = new(JsonSerializerDefaults.Web);
}

namespace Tsuzumi.Router.Tests.Api;

/// <summary>The catalog the router's tests serve: three public specialists, the general fallback, and one for tenant acme.</summary>
public static class TestCatalog
{
    public const string Json = """
    {
      "baseModels": [ { "id": "tiny", "path": "." } ],
      "routing": { "topK": 2, "threshold": 0.3, "fallback": "general" },
      "specialists": [
        { "id": "finance", "description": "money stocks dividends interest rates inflation",
          "examples": [ "what is a dividend", "how do interest rates work" ],
          "baseModel": "tiny", "adapters": [], "systemPrompt": "finance", "tenants": [ "*" ] },
        { "id": "medical", "description": "health medicine fever blood pressure",
          "examples": [ "what is a normal fever", "what is high blood pressure" ],
          "baseModel": "tiny", "adapters": [], "systemPrompt": "medical", "tenants": [ "*" ] },
        { "id": "general", "description": "general knowledge, the fallback",
          "examples": [ "what is the capital of japan" ],
          "baseModel": "tiny", "adapters": [], "systemPrompt": "general", "tenants": [ "*" ], "isFallback": true },
        { "id": "org-acme", "description": "acme expense reports leave policy help desk",
          "examples": [ "when is the expense report deadline" ],
          "baseModel": "tiny", "adapters": [], "systemPrompt": "acme", "tenants": [ "acme" ] }
      ]
    }
    """;

    /// <summary>The same catalog with one more public specialist, for the admin change.</summary>
    public static string WithLegal() => Json.Replace(
        "\"specialists\": [",
        """
        "specialists": [
            { "id": "legal", "description": "contracts law courts", "examples": [ "what is a contract" ],
              "baseModel": "tiny", "adapters": [], "systemPrompt": "legal", "tenants": [ "*" ] },
        """);
}

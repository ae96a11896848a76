namespace Tsuzumi.Silo.Tests;

internal static class Queries
{
    public static SpecialistQuery Ask(string question, string tenant = "public", int? maxTokens = null) =>
        new(tenant, [new SpecialistTurn("user", question)]) { MaxTokens = maxTokens, Deadline = DateTimeOffset.UtcNow.AddMinutes(1) };

    /// <summary>Waits for a condition that another thread (the catalog watcher, a deactivation) brings about; fails after <paramref name="timeout"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }
}

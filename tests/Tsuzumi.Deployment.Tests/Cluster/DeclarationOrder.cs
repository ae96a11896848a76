using Xunit.Sdk;
using Xunit.v3;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// Runs a class's tests in the order they are declared: the cluster scenarios share one cluster, and the silo kill
/// must come after the scenario that needs both silos.
/// </summary>
public sealed class DeclarationOrder : ITestCaseOrderer
{
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases) where TTestCase : notnull, ITestCase =>
        testCases.OrderBy(testCase => testCase is IXunitTestCase xunit ? xunit.TestMethod.Method.MetadataToken : int.MaxValue).ToArray();
}

using SochDb.Isolated.Supervisor.Hosting;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class CapabilityMatcherTests
{
    [Theory]
    [InlineData("users", true)]
    [InlineData("logs_2024", true)]
    [InlineData("logs_", true)]
    [InlineData("orders", false)]
    [InlineData("Users", false)]
    [InlineData("logs", false)]
    [InlineData("", false)]
    public void Matches_ExactAndPrefixPatterns_FollowTheOriginalRules(string table, bool expected)
        => Assert.Equal(expected, CapabilityMatcher.Matches(["users", "logs_*"], table));

    [Theory]
    [InlineData("anything")]
    [InlineData("")]
    public void Matches_Star_GrantsEveryName(string table) => Assert.True(CapabilityMatcher.Matches(["*"], table));

    [Fact]
    public void Matches_NoPatterns_DeniesEverything() => Assert.False(CapabilityMatcher.Matches([], "users"));

    [Fact]
    public void Matches_StarInTheMiddle_IsLiteral()
    {
        Assert.True(CapabilityMatcher.Matches(["a*b"], "a*b"));
        Assert.False(CapabilityMatcher.Matches(["a*b"], "axb"));
    }
}

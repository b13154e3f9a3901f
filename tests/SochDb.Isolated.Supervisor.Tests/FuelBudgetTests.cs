using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class FuelBudgetTests
{
    [Fact]
    public void Constructor_Total_StartsFull()
    {
        var budget = new FuelBudget(1_000);

        Assert.Equal(1_000, budget.Total);
        Assert.Equal(1_000, budget.Remaining);
    }

    [Theory]
    [InlineData(1_000, 100, 100)]
    [InlineData(1_000, 1_000, 1_000)]
    [InlineData(1_000, 5_000, 1_000)]
    [InlineData(50, 100, 50)]
    public void ForNextCall_FullBudget_IsSmallerOfLimitAndRemaining(long total, long limit, long expected)
    {
        var budget = new FuelBudget(total);

        Assert.Equal(expected, budget.ForNextCall(limit));
    }

    [Fact]
    public void ForNextCall_AfterConsumption_IsCappedByWhatIsLeft()
    {
        var budget = new FuelBudget(1_000);

        budget.Consume(930);

        Assert.Equal(70, budget.Remaining);
        Assert.Equal(70, budget.ForNextCall(100));
        Assert.Equal(10, budget.ForNextCall(10));
    }

    [Fact]
    public void ForNextCall_DoesNotConsume()
    {
        var budget = new FuelBudget(1_000);

        _ = budget.ForNextCall(400);
        _ = budget.ForNextCall(400);

        Assert.Equal(1_000, budget.Remaining);
    }

    [Fact]
    public void Consume_MoreThanRemaining_StopsAtZero()
    {
        var budget = new FuelBudget(100);

        budget.Consume(60);
        budget.Consume(60);

        Assert.Equal(0, budget.Remaining);
        budget.Consume(long.MaxValue);
        Assert.Equal(0, budget.Remaining);
    }

    [Fact]
    public void Consume_Negative_IsIgnored()
    {
        var budget = new FuelBudget(100);
        budget.Consume(40);

        budget.Consume(-1_000);

        Assert.Equal(60, budget.Remaining);
    }

    [Fact]
    public void ForNextCall_EmptyBudget_IsZero()
    {
        var budget = new FuelBudget(100);

        budget.Consume(100);

        Assert.Equal(0, budget.ForNextCall(1_000_000));
    }

    [Fact]
    public void ForNextCall_NegativeLimit_IsZero()
    {
        var budget = new FuelBudget(100);

        Assert.Equal(0, budget.ForNextCall(-5));
    }

    [Fact]
    public void Reset_AfterConsumption_Refills()
    {
        var budget = new FuelBudget(500);
        budget.Consume(500);
        Assert.Equal(0, budget.ForNextCall(100));

        budget.Reset();

        Assert.Equal(500, budget.Remaining);
        Assert.Equal(100, budget.ForNextCall(100));
        Assert.Equal(500, budget.Total);
    }

    [Fact]
    public async Task Consume_Concurrently_SubtractsEveryCall()
    {
        var budget = new FuelBudget(1_000_000);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                budget.Consume(3);
            }
        }))).DefaultTimeout();

        Assert.Equal(1_000_000 - (8 * 10_000 * 3), budget.Remaining);
    }
}

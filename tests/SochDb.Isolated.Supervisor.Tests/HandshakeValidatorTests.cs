using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class HandshakeValidatorTests
{
    private const string Secret = "3f1c0d9ab2e84c6f";
    private const string Wasmtime = "50.0.1";
    private static readonly string EngineHash = new EngineSettings().ComputeHash();

    private static HandshakeResponse Valid() => new()
    {
        ProtocolVersion = ProtocolConstants.Version,
        WasmtimeVersion = Wasmtime,
        EngineSettingsHash = EngineHash,
        Secret = Secret,
        WorkerPid = 1234,
    };

    private static string? Validate(HandshakeResponse? response) => HandshakeValidator.Validate(response, Secret, Wasmtime, EngineHash);

    [Fact]
    public void Validate_MatchingResponse_ReturnsNull()
    {
        Assert.Null(Validate(Valid()));
    }

    [Fact]
    public void Validate_NullResponse_NamesEmptyResponse()
    {
        var problem = Validate(null);

        Assert.NotNull(problem);
        Assert.Contains("empty handshake response", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3f1c0d9ab2e84c6e")]
    [InlineData("3f1c0d9ab2e84c6f0")]
    [InlineData("3F1C0D9AB2E84C6F")]
    public void Validate_WrongSecret_NamesTheSecret(string secret)
    {
        var response = Valid();
        response.Secret = secret;

        var problem = Validate(response);

        Assert.NotNull(problem);
        Assert.Contains("secret", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NullSecret_NamesTheSecret()
    {
        var response = Valid();
        response.Secret = null!;

        var problem = Validate(response);

        Assert.NotNull(problem);
        Assert.Contains("secret", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WrongSecretAndOtherMismatches_ReportsOnlyTheSecret()
    {
        var response = new HandshakeResponse { ProtocolVersion = 99, WasmtimeVersion = "1.0.0", EngineSettingsHash = "00", Secret = "guess" };

        var problem = Validate(response);

        Assert.NotNull(problem);
        Assert.Contains("secret", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("version", problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Validate_ProtocolVersionMismatch_NamesBothVersions()
    {
        var response = Valid();
        response.ProtocolVersion = ProtocolConstants.Version + 1;

        var problem = Validate(response);

        Assert.NotNull(problem);
        Assert.Contains("protocol version mismatch", problem, StringComparison.Ordinal);
        Assert.Contains($"supervisor speaks {ProtocolConstants.Version}", problem, StringComparison.Ordinal);
        Assert.Contains($"the worker {ProtocolConstants.Version + 1}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WasmtimeVersionMismatch_NamesBothVersions()
    {
        var response = Valid();
        response.WasmtimeVersion = "49.0.0";

        var problem = Validate(response);

        Assert.NotNull(problem);
        Assert.Contains("Wasmtime version mismatch", problem, StringComparison.Ordinal);
        Assert.Contains(Wasmtime, problem, StringComparison.Ordinal);
        Assert.Contains("49.0.0", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WasmtimeVersionDiffersOnlyInCase_IsAMismatch()
    {
        var response = Valid();
        response.WasmtimeVersion = "50.0.1-RC";
        var expected = "50.0.1-rc";

        var problem = HandshakeValidator.Validate(response, Secret, expected, EngineHash);

        Assert.NotNull(problem);
        Assert.Contains("Wasmtime version mismatch", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EngineHashMismatch_NamesBothHashes()
    {
        var response = Valid();
        var otherHash = new EngineSettings { Simd = false }.ComputeHash();
        Assert.NotEqual(EngineHash, otherHash);
        response.EngineSettingsHash = otherHash;

        var problem = Validate(response);

        Assert.NotNull(problem);
        Assert.Contains("engine settings mismatch", problem, StringComparison.Ordinal);
        Assert.Contains(EngineHash, problem, StringComparison.Ordinal);
        Assert.Contains(otherHash, problem, StringComparison.Ordinal);
    }
}

using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using MessagePack;
using MessagePack.Resolvers;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Protocol.Tests;

/// <summary>The wire contract's shape: integer MessagePack keys, JSON names, both stable.</summary>
public sealed class WireContractTests
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    public static TheoryData<Type> MessageTypes()
    {
        var data = new TheoryData<Type>();
        foreach (var type in typeof(InvokeRequest).Assembly.GetTypes().Where(t => t.Namespace == typeof(InvokeRequest).Namespace && t.GetCustomAttribute<DataContractAttribute>() is not null))
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Message_EveryField_HasAUniqueOrderAndAJsonName(Type type)
    {
        var fields = type.GetProperties().Where(p => p.GetCustomAttribute<DataMemberAttribute>() is not null).ToArray();

        Assert.NotEmpty(fields);
        Assert.All(fields, f => Assert.True(f.GetCustomAttribute<DataMemberAttribute>()!.Order >= 0, $"{type.Name}.{f.Name} has no Order"));
        Assert.All(fields, f => Assert.Null(f.GetCustomAttribute<DataMemberAttribute>()!.Name));
        Assert.All(fields, f => Assert.NotNull(f.GetCustomAttribute<JsonPropertyNameAttribute>()));
        var orders = fields.Select(f => f.GetCustomAttribute<DataMemberAttribute>()!.Order).ToArray();
        Assert.Equal(orders.Length, orders.Distinct().Count());
    }

    [Fact]
    public void MessagePack_InvokeRequest_IsAnArrayAndRoundTrips()
    {
        var request = new InvokeRequest
        {
            CallId = 7,
            Function = "add",
            Args = [new WireValue { Type = PluginValueType.I32, Bits = 1 }, new WireValue { Type = PluginValueType.Bytes, Bytes = [1, 2, 3] }],
            Fuel = 1_000,
            TimeoutMs = 250,
            StatusOrBuffer = true,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

        var bytes = MessagePackSerializer.Serialize(request, Options);
        var back = MessagePackSerializer.Deserialize<InvokeRequest>(bytes, Options);

        Assert.Equal(MessagePackType.Array, new MessagePackReader(bytes).NextMessagePackType);
        Assert.Equal(7, back.CallId);
        Assert.Equal("add", back.Function);
        Assert.Equal(2, back.Args.Length);
        Assert.Equal([1, 2, 3], back.Args[1].Bytes);
        Assert.Equal(1_000, back.Fuel);
        Assert.Equal(250, back.TimeoutMs);
        Assert.True(back.StatusOrBuffer);
        Assert.Equal(request.TraceParent, back.TraceParent);
    }

    [Fact]
    public void Json_InvokeRequest_KeepsItsFieldNames()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new InvokeRequest { CallId = 7, Function = "add" });

        Assert.Contains("\"callId\":7", json, StringComparison.Ordinal);
        Assert.Contains("\"function\":\"add\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_GeneratedMetadata_WritesWhatReflectionWrites()
    {
        // The JSON formats use WireJsonContext only (no reflection fallback, for the Native AOT worker): its output
        // must be byte for byte what the reflection-based serializer wrote before, or protocol v2 peers would differ.
        var request = new InvokeRequest { CallId = 7, Function = "add", Args = [new WireValue { Type = PluginValueType.Bytes, Bytes = [1, 2] }], Fuel = 9, TraceParent = "00-x" };
        var bootstrap = new WorkerBootstrap { PipeName = "p", Secret = "s", Wire = WireFormat.JsonHeaders, Hardening = new WorkerHardeningRequest { MaxOpenFiles = 64 } };

        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(request), System.Text.Json.JsonSerializer.Serialize(request, WireJsonContext.Default.InvokeRequest));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(bootstrap), bootstrap.ToJsonLine());
        Assert.Contains("\"wire\":\"JsonHeaders\"", bootstrap.ToJsonLine(), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_EveryMessageType_HasGeneratedMetadata()
    {
        var messages = typeof(InvokeRequest).Assembly.GetTypes().Where(t => t.Namespace == typeof(InvokeRequest).Namespace && t.IsPublic && t.IsClass && t.GetCustomAttribute<System.Runtime.Serialization.DataContractAttribute>() is not null);

        Assert.All(messages, type => Assert.NotNull(WireJsonContext.Default.GetTypeInfo(type)));
    }

    [Theory]
    [InlineData(WireFormat.JsonLengthPrefixed, true)]
    [InlineData(WireFormat.JsonHeaders, true)]
    [InlineData(WireFormat.MessagePackLengthPrefixed, true)]
    [InlineData((WireFormat)9, false)]
    public void IsSupported_InAJitProcess_IsEveryKnownFormat(WireFormat format, bool supported)
    {
        Assert.Equal(supported, RpcChannel.IsSupported(format));
    }
}

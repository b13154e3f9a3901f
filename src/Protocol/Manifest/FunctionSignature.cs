namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The declared parameter and result types of an exported function.</summary>
/// <param name="Params">The parameter types, in order.</param>
/// <param name="Returns">The result types, in order.</param>
public sealed record FunctionSignature(IReadOnlyList<PluginValueType> Params, IReadOnlyList<PluginValueType> Returns);

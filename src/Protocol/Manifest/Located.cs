namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>A value read from the manifest together with where it was written.</summary>
/// <remarks>Validation runs after reading, so every value it may reject has to carry its position along.</remarks>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Position">Where the value starts.</param>
internal readonly record struct Located<T>(T Value, SourcePosition Position);

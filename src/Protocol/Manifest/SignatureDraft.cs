namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>A function signature as read from <c>[exports.signatures.&lt;fn&gt;]</c>, before validation.</summary>
internal sealed class SignatureDraft
{
    /// <summary>Initializes a new instance of the <see cref="SignatureDraft"/> class.</summary>
    /// <param name="name">The function name and where it was declared.</param>
    public SignatureDraft(Located<string> name) => Name = name;

    /// <summary>Gets the function name and where it was declared, so an unexported function can be pointed at.</summary>
    public Located<string> Name { get; }

    /// <summary>Gets or sets the parameter types; empty when <c>params</c> is absent.</summary>
    public IReadOnlyList<PluginValueType> Params { get; set; } = [];

    /// <summary>Gets or sets the result types; empty when <c>returns</c> is absent.</summary>
    public IReadOnlyList<PluginValueType> Returns { get; set; } = [];
}

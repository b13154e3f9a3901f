namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The types a config field may have.</summary>
public enum ConfigFieldType
{
    /// <summary>A string.</summary>
    String,

    /// <summary>A 64-bit integer.</summary>
    Integer,

    /// <summary>A 64-bit float (an integer literal is accepted).</summary>
    Float,

    /// <summary>A boolean.</summary>
    Boolean,

    /// <summary>An array of strings.</summary>
    StringArray,
}

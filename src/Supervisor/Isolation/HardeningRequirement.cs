namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>How firmly a hardening measure is wanted.</summary>
public enum HardeningRequirement
{
    /// <summary>Apply it when this host allows it; otherwise start workers without it and log a warning once.</summary>
    Auto = 0,

    /// <summary>Apply it or refuse to start workers, with an error that names what is missing.</summary>
    Required = 1,

    /// <summary>Do not apply it.</summary>
    Off = 2,
}

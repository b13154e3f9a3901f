namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// The file operations the cgroup code performs, with cgroupfs semantics: <see cref="CreateDirectory"/> creates a group
/// (the kernel adds its interface files), <see cref="RemoveDirectory"/> removes an empty group, and each write is one
/// write(2) to an existing interface file.
/// </summary>
/// <remarks>
/// The seam exists so that tests can run the real cgroup code against a fake that enforces the kernel's rules (no
/// rmdir of a populated group, no internal processes in v2, <c>memsw</c> never below <c>limit_in_bytes</c>) without
/// root. Errors are <see cref="IOException"/> whose <see cref="Exception.HResult"/> is the errno, as .NET reports them.
/// </remarks>
internal interface ICgroupFileSystem
{
    /// <summary>Gets a value indicating whether a directory exists.</summary>
    /// <param name="path">The path.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    bool DirectoryExists(string path);

    /// <summary>Gets a value indicating whether an interface file exists (an optional control such as <c>cgroup.kill</c>).</summary>
    /// <param name="path">The path.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    bool FileExists(string path);

    /// <summary>Creates one group directory; fails when it exists.</summary>
    /// <param name="path">The path.</param>
    /// <exception cref="IOException">The directory exists or could not be created.</exception>
    /// <exception cref="UnauthorizedAccessException">Not permitted.</exception>
    void CreateDirectory(string path);

    /// <summary>Removes an empty group directory (rmdir).</summary>
    /// <param name="path">The path.</param>
    /// <exception cref="IOException">The group still has processes or child groups (EBUSY), or is gone.</exception>
    void RemoveDirectory(string path);

    /// <summary>Lists the child directories of a group.</summary>
    /// <param name="path">The path.</param>
    /// <returns>Their full paths; empty when the directory is gone.</returns>
    IReadOnlyList<string> GetDirectories(string path);

    /// <summary>Reads a whole interface file.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The content.</returns>
    /// <exception cref="IOException">The file is missing or unreadable.</exception>
    string ReadAllText(string path);

    /// <summary>Writes <paramref name="contents"/> to an interface file with a single write.</summary>
    /// <param name="path">The path.</param>
    /// <param name="contents">The value.</param>
    /// <exception cref="IOException">The kernel refused the value (the errno is in <see cref="Exception.HResult"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">Not permitted.</exception>
    void WriteAllText(string path, string contents);
}

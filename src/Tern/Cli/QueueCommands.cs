using System.CommandLine;

namespace Tern.Cli;

/// <summary><c>tern queue list|show|retry|delete|bounce</c>.</summary>
public static class QueueCommands
{
    public static IEnumerable<Command> Create()
    {
        yield break;
    }
}

using System.CommandLine;

namespace Tern.Cli;

/// <summary><c>tern store verify|reindex</c> and <c>tern mailbox import|export</c>.</summary>
public static class StoreCommands
{
    public static IEnumerable<Command> Create()
    {
        yield break;
    }
}

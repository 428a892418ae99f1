using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Tern.Hosting;

namespace Tern.Cli;

public static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Start every enabled service (SMTP, POP3, IMAP, delivery) in one process. " +
            "Stops gracefully on Ctrl-C or SIGTERM: no new connections, open sessions get ShutdownGraceSeconds to finish.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (configuration, options) = CliContext.LoadOptions(parse);
            await using var app = TernHost.Build(options, configuration);
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}

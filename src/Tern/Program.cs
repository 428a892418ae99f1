using System.CommandLine;
using Tern.Accounts;
using Tern.Cli;
using Tern.Configuration;
using Tern.Net;
using Tern.Store;

var root = new RootCommand("Tern: an SMTP, POP3 and IMAP4 mail server in one program.");
CliContext.AddGlobalOptions(root);
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(UserCommands.Create());
root.Subcommands.Add(DomainCommands.Create());
root.Subcommands.Add(AliasCommands.Create());
root.Subcommands.Add(ConfigCommands.Create());
root.Subcommands.Add(DkimCommands.Create());
foreach (var command in StoreCommands.Create())
    root.Subcommands.Add(command);
foreach (var command in QueueCommands.Create())
    root.Subcommands.Add(command);
root.Subcommands.Add(DnsCommands.Create());

try
{
    // "@example.com" is a catch-all alias, not a response file.
    var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
    if (parse.Errors.Count > 0)
    {
        foreach (var error in parse.Errors)
            Console.Error.WriteLine($"tern: {error.Message} (see --help)");
        return 2;
    }
    // Errors are handled below, as one line each; System.CommandLine's own handler would print a stack trace.
    // The host handles SIGTERM/Ctrl-C itself (graceful stop); System.CommandLine must not exit the process first.
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
}
// Bad input is one line naming the culprit and a non-zero exit, never a stack trace.
catch (ConfigurationException ex)
{
    foreach (var problem in ex.Problems)
        Console.Error.WriteLine($"tern: {problem}");
    return 2;
}
catch (Exception ex) when (ex is CliException or AccountException or MailStoreException or ListenerBindException or TlsConfigurationException)
{
    Console.Error.WriteLine($"tern: {ex.Message}");
    return 1;
}
catch (IOException ex) when (ex.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"tern: {ex.Message}");
    return 1;
}

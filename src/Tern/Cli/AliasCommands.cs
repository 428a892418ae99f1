using System.CommandLine;
using Tern.Accounts;

namespace Tern.Cli;

/// <summary><c>tern alias add|list|remove</c>: addresses, or a catch-all <c>@domain</c>, that forward to others.</summary>
public static class AliasCommands
{
    public static Command Create()
    {
        var command = new Command("alias",
            "Manage aliases: an address of a local domain, or a catch-all @domain, that delivers to one or more other addresses.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    static Argument<string> SourceArgument() => new("SOURCE")
    {
        Description = "The alias address (info@example.com), or *@example.com for a catch-all that takes mail for every " +
                      "address of the domain that is neither a user nor another alias (stored as @example.com; a bare " +
                      "@example.com needs -- before it, as a leading @ otherwise names a response file).",
    };

    static Command Add()
    {
        var source = SourceArgument();
        var targets = new Argument<string[]>("TARGET")
        {
            Description = "Addresses that receive the mail: local users, other aliases or addresses elsewhere.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("add", "Create an alias, or add targets to an existing one.");
        command.Arguments.Add(source);
        command.Arguments.Add(targets);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var sourceText = parse.GetValue(source)!;
            await accounts.AddAliasAsync(sourceText, parse.GetValue(targets) ?? [], cancellationToken);
            var alias = (await accounts.ListAliasesAsync(cancellationToken))
                .FirstOrDefault(a => string.Equals(a.Source, sourceText.Trim().TrimStart('*'), StringComparison.OrdinalIgnoreCase));
            Console.WriteLine(alias is null ? "alias added" : $"alias {alias.Source} -> {string.Join(", ", alias.Targets)}");
            if (alias is not null && !alias.Source.StartsWith('@'))
            {
                var resolution = await accounts.ResolveRecipientAsync(alias.Source, cancellationToken);
                if (resolution.Status != RecipientStatus.Found)
                    Console.Error.WriteLine($"tern: warning: mail to {alias.Source} is not deliverable yet ({Describe(resolution.Status)})");
            }
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var command = new Command("list", "List every alias with its targets.");
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var aliases = await services.Accounts().ListAliasesAsync(cancellationToken);
            if (aliases.Count == 0)
            {
                Console.WriteLine("no aliases");
                return 0;
            }
            AccountCli.WriteTable(["ALIAS", "TARGETS"], aliases.Select(a => new[] { a.Source, string.Join(", ", a.Targets) }));
            return 0;
        });
        return command;
    }

    static Command Remove()
    {
        var source = SourceArgument();
        var command = new Command("remove", "Remove an alias with all its targets.");
        command.Arguments.Add(source);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var sourceText = parse.GetValue(source)!.Trim();
            if (sourceText.StartsWith("*@", StringComparison.Ordinal))
                sourceText = sourceText[1..];
            if (!await services.Accounts().RemoveAliasAsync(sourceText, cancellationToken))
                throw new CliException($"no such alias: {sourceText}");
            Console.WriteLine($"alias {sourceText} removed");
            return 0;
        });
        return command;
    }

    static string Describe(RecipientStatus status) => status switch
    {
        RecipientStatus.Loop => "its targets loop or nest more than 10 deep",
        RecipientStatus.Disabled => "its targets are disabled users",
        _ => "no target is a user or an address elsewhere",
    };
}

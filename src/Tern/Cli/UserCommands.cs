using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Store;

namespace Tern.Cli;

/// <summary><c>tern user add|list|show|passwd|remove|disable|enable|quota|import-ini</c>.</summary>
/// <remarks>Passwords come from a prompt without echo or from stdin, never from the command line, where other
/// users of the machine could read them in the process list.</remarks>
public static class UserCommands
{
    public static Command Create()
    {
        var command = new Command("user", "Manage users. A user logs in to SMTP, POP3 and IMAP with its full address.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Passwd());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(SetEnabled(enabled: false));
        command.Subcommands.Add(SetEnabled(enabled: true));
        command.Subcommands.Add(Quota());
        command.Subcommands.Add(ImportIni());
        return command;
    }

    static Command Add()
    {
        var address = AccountCli.AddressArgument("The new user's address, for example alice@example.com; its domain must be local (tern domain add).");
        var quota = new Option<string?>("--quota")
        {
            Description = "Storage quota: bytes, or with a suffix K, M, G (10M = 10 MiB), or 'unlimited'. Default: Store:DefaultQuotaBytes.",
        };
        var stdin = AccountCli.PasswordStdinOption();
        var command = new Command("add", "Add a user. The password is asked for twice without echo, or read from stdin with --password-stdin.");
        command.Arguments.Add(address);
        command.Options.Add(quota);
        command.Options.Add(stdin);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var normalized = AccountAddress.Normalize(parse.GetValue(address)!);
            var quotaText = parse.GetValue(quota);
            long quotaBytes = quotaText is null ? 0 : AccountCli.ParseSize(quotaText);
            // Checked before the prompt, so nobody types a password for a user that cannot be created.
            if (!await accounts.IsLocalDomainAsync(AccountAddress.DomainOf(normalized), cancellationToken))
                throw new CliException($"{AccountAddress.DomainOf(normalized)} is not a local domain; add it first with: tern domain add {AccountAddress.DomainOf(normalized)}");
            if (await accounts.FindUserAsync(normalized, cancellationToken) is not null)
                throw new CliException($"the user {normalized} already exists");
            var password = CliContext.ReadPassword(parse.GetValue(stdin));
            var user = await accounts.AddUserAsync(normalized, password, quotaBytes, cancellationToken);
            // 0 passed to the store means "the default"; an explicit "unlimited" is set afterwards.
            if (quotaText is not null && quotaBytes == 0 && user.QuotaBytes != 0)
            {
                await accounts.SetQuotaAsync(user.Address, 0, cancellationToken);
                user = user with { QuotaBytes = 0 };
            }
            Console.WriteLine($"user {user.Address} added (id {user.Id}, quota {AccountCli.FormatSize(user.QuotaBytes)})");
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var command = new Command("list", "List every user with id, state, quota and creation time.");
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var users = await services.Accounts().ListUsersAsync(cancellationToken);
            if (users.Count == 0)
            {
                Console.WriteLine("no users; add one with: tern user add ADDRESS");
                return 0;
            }
            AccountCli.WriteTable(["ID", "ADDRESS", "ENABLED", "QUOTA", "CREATED"], users.Select(u => new[]
            {
                u.Id.ToString(CultureInfo.InvariantCulture), u.Address, u.Enabled ? "yes" : "no",
                AccountCli.FormatSize(u.QuotaBytes), AccountCli.FormatTime(u.Created),
            }));
            return 0;
        });
        return command;
    }

    static Command Show()
    {
        var address = AccountCli.AddressArgument();
        var command = new Command("show", "Show one user: id, state, quota, and the addresses it receives and may send as.");
        command.Arguments.Add(address);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var user = await FindAsync(accounts, parse.GetValue(address)!, cancellationToken);
            Console.WriteLine($"address:  {user.Address}");
            Console.WriteLine($"id:       {user.Id}");
            Console.WriteLine($"enabled:  {(user.Enabled ? "yes" : "no")}");
            Console.WriteLine($"quota:    {AccountCli.FormatSize(user.QuotaBytes)}{(user.QuotaBytes > 0 ? $" ({user.QuotaBytes} bytes)" : "")}");
            Console.WriteLine($"created:  {AccountCli.FormatTime(user.Created)}");
            var sendAs = await accounts.GetSendAsAddressesAsync(user, cancellationToken);
            Console.WriteLine($"send as:  {string.Join(", ", sendAs)}");
            var aliases = await accounts.ListAliasesAsync(cancellationToken);
            var direct = aliases.Where(a => a.Targets.Contains(user.Address, StringComparer.OrdinalIgnoreCase)).Select(a => a.Source).ToList();
            if (direct.Count > 0)
                Console.WriteLine($"aliases:  {string.Join(", ", direct)}");
            return 0;
        });
        return command;
    }

    static Command Passwd()
    {
        var address = AccountCli.AddressArgument();
        var stdin = AccountCli.PasswordStdinOption();
        var command = new Command("passwd", "Set a user's password (asked twice without echo, or read from stdin with --password-stdin).");
        command.Arguments.Add(address);
        command.Options.Add(stdin);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var user = await FindAsync(accounts, parse.GetValue(address)!, cancellationToken);
            var password = CliContext.ReadPassword(parse.GetValue(stdin), "New password");
            await accounts.SetPasswordAsync(user.Address, password, cancellationToken);
            Console.WriteLine($"password of {user.Address} changed");
            return 0;
        });
        return command;
    }

    static Command Remove()
    {
        var address = AccountCli.AddressArgument();
        var keepMail = new Option<bool>("--keep-mail") { Description = "Keep the user's stored mail on disk (by default it is deleted)." };
        var command = new Command("remove", "Remove a user and its stored mail. Aliases that point to it stay; check them with tern alias list.");
        command.Arguments.Add(address);
        command.Options.Add(keepMail);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var user = await FindAsync(accounts, parse.GetValue(address)!, cancellationToken);
            if (!await accounts.RemoveUserAsync(user.Address, cancellationToken))
                throw new CliException($"no such user: {user.Address}");
            var mailStore = services.GetService<IMailStore>();
            if (parse.GetValue(keepMail) || mailStore is null)
            {
                Console.WriteLine($"user {user.Address} removed; its mail (account {user.Id}) is kept");
            }
            else
            {
                await mailStore.DeleteAccountAsync(user.Id, cancellationToken);
                Console.WriteLine($"user {user.Address} removed with its mail");
            }
            return 0;
        });
        return command;
    }

    static Command SetEnabled(bool enabled)
    {
        var address = AccountCli.AddressArgument();
        var command = enabled
            ? new Command("enable", "Enable a disabled user again: it can log in and receive mail.")
            : new Command("disable", "Disable a user without removing it: logins fail and mail to it is refused; its mail is kept.");
        command.Arguments.Add(address);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var user = await FindAsync(accounts, parse.GetValue(address)!, cancellationToken);
            await accounts.SetEnabledAsync(user.Address, enabled, cancellationToken);
            Console.WriteLine($"user {user.Address} {(enabled ? "enabled" : "disabled")}");
            return 0;
        });
        return command;
    }

    static Command Quota()
    {
        var address = AccountCli.AddressArgument();
        var size = new Argument<string>("SIZE") { Description = "Bytes, or with a suffix K, M, G (10M = 10 MiB), or 'unlimited'." };
        var command = new Command("quota", "Set a user's storage quota.");
        command.Arguments.Add(address);
        command.Arguments.Add(size);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var accounts = services.Accounts();
            var user = await FindAsync(accounts, parse.GetValue(address)!, cancellationToken);
            long bytes = AccountCli.ParseSize(parse.GetValue(size)!);
            await accounts.SetQuotaAsync(user.Address, bytes, cancellationToken);
            Console.WriteLine($"quota of {user.Address} set to {AccountCli.FormatSize(bytes)}");
            return 0;
        });
        return command;
    }

    static Command ImportIni()
    {
        var file = new Argument<string>("FILE") { Description = "The demo server's settings.ini." };
        var command = new Command("import-ini",
            "Import the users of the original demo's settings.ini ([USERS] Count=N, [USERn] UserName, Password, Email). " +
            "The Email becomes the login address, its domain is added as local if missing, the clear-text passwords are " +
            "hashed, and users that already exist are skipped.");
        command.Arguments.Add(file);
        command.SetAccountAction(async (parse, services, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
                throw new CliException($"file not found: {Path.GetFullPath(path)}");
            var users = await DemoSettingsImport.ReadUsersAsync(path, cancellationToken);
            var summary = await DemoSettingsImport.ImportAsync(services.Accounts(), users, cancellationToken);
            foreach (var note in summary.Notes)
                Console.WriteLine(note);
            Console.WriteLine($"{summary.Imported} imported, {summary.Skipped} skipped (already there), {summary.Failed} failed" +
                (summary.DomainsAdded.Count > 0 ? $"; domains added: {string.Join(", ", summary.DomainsAdded)}" : ""));
            if (summary.Failed > 0)
                throw new CliException($"{summary.Failed} of {users.Count} users could not be imported (see above)");
            return 0;
        });
        return command;
    }

    static async Task<UserAccount> FindAsync(IAccountStore accounts, string address, CancellationToken cancellationToken) =>
        await accounts.FindUserAsync(AccountAddress.Normalize(address), cancellationToken)
        ?? throw new CliException($"no such user: {address.Trim()}");
}

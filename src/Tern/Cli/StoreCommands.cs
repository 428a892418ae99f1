using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Store;
using Tern.Store.FileSystem;
using Tern.Store.Transfer;

namespace Tern.Cli;

/// <summary><c>tern store verify|reindex</c> and <c>tern mailbox import|export</c>.</summary>
/// <remarks>These work on the data folder directly. Import and export may run while the server runs (SQLite locks
/// keep them consistent, though open IMAP sessions learn of imported mail only at their next SELECT); verify --fix and
/// reindex should run with the server stopped.</remarks>
public static class StoreCommands
{
    public static IEnumerable<Command> Create()
    {
        var store = new Command("store", "Check and repair the mail store.");
        store.Subcommands.Add(Verify());
        store.Subcommands.Add(Reindex());
        yield return store;

        var mailbox = new Command("mailbox", "Move mail in and out: Maildir (Dovecot, Courier, Postfix) and mbox.");
        mailbox.Subcommands.Add(Import());
        mailbox.Subcommands.Add(Export());
        yield return mailbox;
    }

    static Command Verify()
    {
        var account = new Argument<string?>("ACCOUNT") { Description = "A user's address or an account id. Default: every account.", Arity = ArgumentArity.ZeroOrOne };
        var fix = new Option<bool>("--fix") { Description = "Repair what is found (as at startup): orphan files re-added, rows without files expunged, counters recomputed; a missing index is rebuilt." };
        var command = new Command("verify", "Compare each account's index with its message files and report (or fix) every mismatch.");
        command.Arguments.Add(account);
        command.Options.Add(fix);
        SetStoreAction(command, async (parse, services, mailStore, cancellationToken) =>
        {
            var ids = parse.GetValue(account) is { } text ? [await ResolveAccountAsync(services, text, cancellationToken)] : mailStore.ListAccountIds();
            int withProblems = 0;
            foreach (var id in ids)
            {
                var report = await mailStore.VerifyAsync(id, parse.GetValue(fix), cancellationToken);
                if (report.Clean)
                {
                    Console.WriteLine($"account {id}: ok");
                    continue;
                }
                withProblems++;
                Console.WriteLine($"account {id}: {report.Problems.Count} problem(s){(report.Fixed ? ", fixed" : "")}");
                foreach (var problem in report.Problems)
                    Console.WriteLine($"  {problem}");
            }
            Console.WriteLine($"{ids.Count} account(s) checked, {withProblems} with problems");
            return withProblems > 0 && !parse.GetValue(fix) ? 3 : 0;
        });
        return command;
    }

    static Command Reindex()
    {
        var account = new Argument<string>("ACCOUNT") { Description = "A user's address or an account id." };
        var command = new Command("reindex", "Rebuild an account's index from its message files alone (flags from the old index if readable, else from the last flag snapshot). Stop the server first.");
        command.Arguments.Add(account);
        SetStoreAction(command, async (parse, services, mailStore, cancellationToken) =>
        {
            var id = await ResolveAccountAsync(services, parse.GetValue(account)!, cancellationToken);
            var report = await mailStore.ReindexAsync(id, cancellationToken);
            Console.WriteLine($"account {id}: index rebuilt with {report.Messages} message(s) in {report.Mailboxes} mailbox(es); " +
                (report.KeptUids ? "UIDs kept" : "new UIDVALIDITY (clients resynchronize)"));
            if (report.OldIndexKeptAs is not null)
                Console.WriteLine($"the old index is kept as {report.OldIndexKeptAs}");
            return 0;
        });
        return command;
    }

    delegate Task<TransferResult> TransferRun(IMailAccount account, string path, string? mailbox, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    static Command Import() => Transfer(
        "import", "Import mail with its flags, dates and folders. Running it again adds only messages not imported before.",
        "A Maildir folder (with Maildir++ subfolders), an mbox file, or a folder of mbox files.", "importing",
        Maildir.ImportAsync, Mbox.ImportAsync,
        r => $"{r.Messages} message(s) imported, {r.Skipped} already present, into {string.Join(", ", r.Mailboxes)}");

    static Command Export() => Transfer(
        "export", "Export mail with its flags, dates and folders.",
        "Target: a Maildir folder; for mbox a folder of mbox files, or with --mailbox one mbox file.", "exporting",
        Maildir.ExportAsync, Mbox.ExportAsync,
        r => $"{r.Messages} message(s) exported{(r.Skipped > 0 ? $", {r.Skipped} already there" : "")}, from {string.Join(", ", r.Mailboxes)}");

    /// <summary>import and export share their options and their run: only the direction and the summary differ.</summary>
    static Command Transfer(string name, string description, string pathDescription, string progressLabel,
        TransferRun maildir, TransferRun mbox, Func<TransferResult, string> summary)
    {
        var account = new Option<string>("--account") { Description = "The user's address (or account id).", Required = true };
        var format = new Option<string>("--format") { Description = "maildir or mbox.", Required = true };
        format.AcceptOnlyFromAmong("maildir", "mbox");
        var path = new Argument<string>("PATH") { Description = pathDescription };
        var mailbox = new Option<string?>("--mailbox") { Description = "One mailbox only (import: the target of the top-level messages; its folders go below it)." };
        var command = new Command(name, description);
        command.Options.Add(account);
        command.Options.Add(format);
        command.Arguments.Add(path);
        command.Options.Add(mailbox);
        SetStoreAction(command, async (parse, services, mailStore, cancellationToken) =>
        {
            var id = await ResolveAccountAsync(services, parse.GetValue(account)!, cancellationToken);
            await using var mail = await mailStore.OpenAccountAsync(id, cancellationToken);
            var progress = new ProgressBar(progressLabel);
            var run = parse.GetValue(format) == "maildir" ? maildir : mbox;
            var result = await run(mail, Path.GetFullPath(parse.GetValue(path)!), parse.GetValue(mailbox), progress, cancellationToken);
            progress.Finish();
            foreach (var warning in result.Warnings)
                Console.Error.WriteLine($"tern: warning: {warning}");
            Console.WriteLine(summary(result));
            return 0;
        });
        return command;
    }

    static void SetStoreAction(Command command, Func<ParseResult, IServiceProvider, FileSystemMailStore, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await using var services = CliContext.BuildServices(parse);
                var mailStore = services.GetRequiredService<FileSystemMailStore>();
                return await action(parse, services, mailStore, cancellationToken);
            }
            catch (Exception ex) when (ex is MailStoreException or AccountException or CliException)
            {
                Console.Error.WriteLine($"tern: {ex.Message}");
                return 1;
            }
            catch (ConfigurationException ex)
            {
                foreach (var problem in ex.Problems)
                    Console.Error.WriteLine($"tern: {problem}");
                return 2;
            }
        });
    }

    /// <summary>An account by address (looked up in the account store) or by number.</summary>
    static async Task<long> ResolveAccountAsync(IServiceProvider services, string text, CancellationToken cancellationToken)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
            return id;
        var accounts = services.GetService<IAccountStore>() ?? throw new CliException("no account store is configured");
        var user = await accounts.FindUserAsync(text, cancellationToken) ?? throw new CliException($"no user {text}");
        return user.Id;
    }

    /// <summary>A one-line progress bar on stderr (a line every few seconds when stderr is not a terminal).</summary>
    sealed class ProgressBar(string verb) : IProgress<TransferProgress>
    {
        readonly bool terminal = !Console.IsErrorRedirected;
        DateTime last = DateTime.MinValue;
        bool shown;

        public void Report(TransferProgress value)
        {
            var now = DateTime.UtcNow;
            if (now - last < (terminal ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(5)) && value.Done < value.Total) return;
            last = now;
            double fraction = value.Total == 0 ? 1 : Math.Clamp((double)value.Done / value.Total, 0, 1);
            int filled = (int)(fraction * 30);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{verb} [{new string('#', filled)}{new string('-', 30 - filled)}] {fraction:P0} {value.Mailbox}");
            if (terminal) Console.Error.Write("\r" + line.PadRight(79));
            else Console.Error.WriteLine(line);
            shown = true;
        }

        public void Finish()
        {
            if (shown && terminal) Console.Error.WriteLine();
        }
    }
}

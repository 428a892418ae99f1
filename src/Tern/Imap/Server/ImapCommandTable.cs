using Tern.Imap.Server.Commands;

namespace Tern.Imap.Server;

/// <summary>RFC 9051 3: the session states.</summary>
[Flags]
public enum ImapState
{
    NotAuthenticated = 1,
    Authenticated = 2,
    Selected = 4,
    Logout = 8,
    Any = NotAuthenticated | Authenticated | Selected,
    Auth = Authenticated | Selected,
}

/// <summary>How a command ends; the command loop turns it into the tagged response.</summary>
public enum ImapStatus { Ok, No, Bad }

/// <param name="Code">A response code without brackets ("READ-WRITE", "APPENDUID 1 2"), or null.</param>
public sealed record ImapResult(ImapStatus Status, string Text, string? Code = null)
{
    public static ImapResult Ok(string text, string? code = null) => new(ImapStatus.Ok, text, code);
    public static ImapResult No(string text, string? code = null) => new(ImapStatus.No, text, code);
    public static ImapResult Bad(string text, string? code = null) => new(ImapStatus.Bad, text, code);
}

public delegate Task<ImapResult> ImapCommandHandler(ImapSession session, ImapRequest request, CancellationToken cancellationToken);

/// <param name="ValidIn">The states in which the command is allowed (RFC 9051 6).</param>
/// <param name="UidVariant">Accepted after "UID" (RFC 9051 6.4.9, RFC 4315 UID EXPUNGE, RFC 6851 UID MOVE).</param>
/// <param name="SequenceBound">Uses message sequence numbers: no untagged EXPUNGE may be sent while it runs or when it
/// ends unless it is the UID form (RFC 9051 7.5.1, RFC 3501 7.4.1).</param>
/// <param name="Redact">The log shows only the command name (LOGIN, AUTHENTICATE carry passwords).</param>
public sealed record ImapCommandSpec(
    string Name, ImapState ValidIn, ImapCommandHandler Handler, bool UidVariant = false, bool SequenceBound = false, bool Redact = false);

/// <summary>The declarative table: which command is valid in which state (RFC 9051 6.1-6.4, and the extensions).</summary>
public static class ImapCommandTable
{
    public static readonly IReadOnlyDictionary<string, ImapCommandSpec> Commands = new ImapCommandSpec[]
    {
        // RFC 9051 6.1: any state
        new("CAPABILITY", ImapState.Any, CapabilityCommand.ExecuteAsync),
        new("NOOP", ImapState.Any, NoopCommand.ExecuteAsync),
        new("LOGOUT", ImapState.Any, LogoutCommand.ExecuteAsync),
        new("ID", ImapState.Any, IdCommand.ExecuteAsync),                                     // RFC 2971
        // RFC 9051 6.2: not authenticated
        new("STARTTLS", ImapState.NotAuthenticated, StartTlsCommand.ExecuteAsync),
        new("AUTHENTICATE", ImapState.NotAuthenticated, AuthenticateCommand.ExecuteAsync, Redact: true),
        new("LOGIN", ImapState.NotAuthenticated, LoginCommand.ExecuteAsync, Redact: true),
        // RFC 9051 6.3: authenticated
        new("ENABLE", ImapState.Authenticated, EnableCommand.ExecuteAsync),                   // RFC 5161
        new("SELECT", ImapState.Auth, SelectCommand.SelectAsync),
        new("EXAMINE", ImapState.Auth, SelectCommand.ExamineAsync),
        new("CREATE", ImapState.Auth, MailboxCommands.CreateAsync),
        new("DELETE", ImapState.Auth, MailboxCommands.DeleteAsync),
        new("RENAME", ImapState.Auth, MailboxCommands.RenameAsync),
        new("SUBSCRIBE", ImapState.Auth, MailboxCommands.SubscribeAsync),
        new("UNSUBSCRIBE", ImapState.Auth, MailboxCommands.UnsubscribeAsync),
        new("LIST", ImapState.Auth, ListCommand.ListAsync),
        new("LSUB", ImapState.Auth, ListCommand.LsubAsync),
        new("NAMESPACE", ImapState.Auth, NamespaceCommand.ExecuteAsync),                      // RFC 2342
        new("STATUS", ImapState.Auth, StatusCommand.ExecuteAsync),
        new("APPEND", ImapState.Auth, AppendCommand.ExecuteAsync),
        new("IDLE", ImapState.Auth, IdleCommand.ExecuteAsync),                                // RFC 2177
        new("GETQUOTAROOT", ImapState.Auth, QuotaCommands.GetQuotaRootAsync),                 // RFC 9208
        new("GETQUOTA", ImapState.Auth, QuotaCommands.GetQuotaAsync),
        new("SETQUOTA", ImapState.Auth, QuotaCommands.SetQuotaAsync),
        new("COMPRESS", ImapState.Auth, CompressCommand.ExecuteAsync),                        // RFC 4978
        new("NOTIFY", ImapState.Auth, NotifyCommand.ExecuteAsync),                            // RFC 5465
        // RFC 9051 6.4: selected
        new("CHECK", ImapState.Selected, NoopCommand.ExecuteAsync),
        new("CLOSE", ImapState.Selected, CloseCommand.CloseAsync),
        new("UNSELECT", ImapState.Selected, CloseCommand.UnselectAsync),                      // RFC 3691
        new("EXPUNGE", ImapState.Selected, ExpungeCommand.ExecuteAsync, UidVariant: true),    // RFC 4315 UID EXPUNGE
        new("SEARCH", ImapState.Selected, SearchCommandHandler.ExecuteAsync, UidVariant: true, SequenceBound: true),
        new("SORT", ImapState.Selected, SortCommandHandler.ExecuteAsync, UidVariant: true, SequenceBound: true),     // RFC 5256, RFC 5267
        new("THREAD", ImapState.Selected, ThreadCommandHandler.ExecuteAsync, UidVariant: true, SequenceBound: true), // RFC 5256
        new("FETCH", ImapState.Selected, FetchCommand.ExecuteAsync, UidVariant: true, SequenceBound: true),
        new("STORE", ImapState.Selected, StoreCommand.ExecuteAsync, UidVariant: true, SequenceBound: true),
        new("COPY", ImapState.Selected, CopyCommand.CopyAsync, UidVariant: true),
        new("MOVE", ImapState.Selected, CopyCommand.MoveAsync, UidVariant: true),             // RFC 6851
    }.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
}

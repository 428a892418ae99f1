using System.Text;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Imap.Protocol;
using Tern.Net;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>One IMAP connection: the state machine of RFC 9051 3 and the command loop, the one place where errors become
/// responses (habit 9).</summary>
public sealed partial class ImapSession : IAsyncDisposable
{
    readonly ImapCommandFramer framer;
    int errors;

    readonly Lazy<IAuthenticator> authenticator;
    readonly Lazy<IMailStore> store;

    public ImapSession(MailConnection connection, TernOptions options, Lazy<IAuthenticator> authenticator, Lazy<IMailStore> store)
    {
        Connection = connection;
        Options = options;
        this.authenticator = authenticator;
        this.store = store;
        framer = new ImapCommandFramer(options.Imap.MaxLineLength);
    }

    public MailConnection Connection { get; }
    public TernOptions Options { get; }
    public IAuthenticator Authenticator => authenticator.Value;
    public IMailStore Store => store.Value;

    public ImapState State { get; private set; } = ImapState.NotAuthenticated;
    public UserAccount? User { get; private set; }
    public IMailAccount? Account { get; private set; }
    public SelectedMailbox? Selected { get; private set; }

    /// <summary>RFC 6855 UTF8=ACCEPT enabled.</summary>
    public bool Utf8Enabled { get; set; }

    /// <summary>RFC 9051 IMAP4rev2 enabled with ENABLE: no RECENT, ESEARCH for SEARCH, UTF-8 mailbox names.</summary>
    public bool Rev2Enabled { get; set; }

    /// <summary>UTF-8 may be sent in quoted strings and mailbox names (RFC 6855 3, RFC 9051 5.1).</summary>
    public bool Utf8Output => Utf8Enabled || Rev2Enabled;

    /// <summary>Plaintext passwords allowed on this connection (TLS, or configuration allows it).</summary>
    public bool PlaintextAuthAllowed => Connection.IsSecure || Options.Auth.AllowPlaintextAuth
        || (Connection.IsLoopback && Options.Auth.AllowPlaintextAuthOnLoopback);

    public string Id => Connection.Id;

    /// <summary>\Recent in FLAGS: IMAP4rev1 only (RFC 9051 Appendix E drops it from IMAP4rev2).</summary>
    public bool ShowsRecent(long uid) => !Rev2Enabled && (Selected?.IsRecent(uid) ?? false);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // RFC 9051 7.1.1: the greeting, with the capabilities so clients need not ask (RFC 9051 7.1).
        await WriteLineAsync($"* OK [CAPABILITY {Capabilities()}] Tern ready", cancellationToken).ConfigureAwait(false);
        while (State != ImapState.Logout)
        {
            var read = await ReadCommandAsync(cancellationToken).ConfigureAwait(false);
            if (read.Status is { } status)
            {
                await EndOnReadStatusAsync(status, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (read.Command is null)
                continue;
            using (read.Command)
                await ExecuteAsync(read.Command, cancellationToken).ConfigureAwait(false);
            if (errors >= Options.Imap.MaxErrors)
            {
                ImapLog.TooManyErrors(Connection.Logger, Id, errors);
                await WriteLineAsync("* BYE Too many errors", cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    async Task EndOnReadStatusAsync(LineReadStatus status, CancellationToken cancellationToken)
    {
        switch (status)
        {
            case LineReadStatus.TimedOut:
                ImapLog.Autologout(Connection.Logger, Id, Connection.IdleTimeout.TotalMinutes);
                await WriteLineAsync("* BYE Autologout; idle for too long", cancellationToken).ConfigureAwait(false);
                break;
            case LineReadStatus.ShuttingDown:
                await WriteLineAsync("* BYE Server shutting down", cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    async Task ExecuteAsync(RawCommand command, CancellationToken cancellationToken)
    {
        var args = new ImapArgumentReader(command, Options.Imap.MaxNestingDepth);
        string tag;
        try
        {
            tag = args.Tag();
        }
        catch (ImapParseException)
        {
            LogCommandText(command.Text, redact: false);
            errors++;
            await WriteLineAsync("* BAD Invalid tag", cancellationToken).ConfigureAwait(false);
            return;
        }
        string name;
        bool uid = false;
        try
        {
            args.Space();
            name = args.Atom().ToUpperInvariant();
            if (name == "UID")
            {
                args.Space();
                name = args.Atom().ToUpperInvariant();
                uid = true;
            }
        }
        catch (ImapParseException)
        {
            LogCommandText(command.Text, redact: false);
            errors++;
            await WriteLineAsync($"{tag} BAD Missing or invalid command name", cancellationToken).ConfigureAwait(false);
            return;
        }
        ImapCommandTable.Commands.TryGetValue(name, out var spec);
        LogCommandText(command.Text, redact: spec?.Redact ?? false);

        ImapResult result;
        if (spec is null || (uid && !spec.UidVariant))
        {
            result = ImapResult.Bad($"Unknown command {(uid ? "UID " : "")}{name}");
        }
        else if ((spec.ValidIn & State) == 0)
        {
            result = ImapResult.Bad($"{name} is not valid in the {StateName(State)} state");
        }
        else
        {
            var request = new ImapRequest(tag, name, uid, args, spec);
            result = await RunHandlerAsync(request, cancellationToken).ConfigureAwait(false);
            if (State == ImapState.Logout)
            {
                await WriteTaggedAsync(tag, result, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (State == ImapState.Selected && result.Status != ImapStatus.Bad)
                await SendUpdatesAsync(expungeAllowed: !spec.SequenceBound || uid, cancellationToken, flush: false).ConfigureAwait(false);
            // RFC 5465 3: NOTIFY events go out at least when a command ends, before its tagged response.
            if (Notify is not null && State != ImapState.Logout)
                await SendNotificationsAsync(betweenCommands: false, cancellationToken).ConfigureAwait(false);
        }
        if (result.Status == ImapStatus.Bad)
            errors++;
        await WriteTaggedAsync(tag, result, cancellationToken).ConfigureAwait(false);
    }

    async Task<ImapResult> RunHandlerAsync(ImapRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await request.Spec.Handler(this, request, cancellationToken).ConfigureAwait(false);
        }
        catch (ImapParseException ex)
        {
            return ImapResult.Bad(ex.Message);
        }
        catch (MailboxNameException ex)
        {
            ImapLog.CommandRefused(Connection.Logger, Id, request.Name, ex.Message);
            return ImapResult.No("Invalid mailbox name: " + ex.Message, "CANNOT");
        }
        catch (MailStoreException ex)
        {
            ImapLog.StoreError(Connection.Logger, Id, request.Name, ex.Error.ToString(), ex.Message);
            return ImapResult.No(ex.Message, ResponseCodeOf(ex.Error));
        }
    }

    /// <summary>RFC 5530 response codes for store errors.</summary>
    public static string ResponseCodeOf(MailStoreError error) => error switch
    {
        MailStoreError.NotFound => "NONEXISTENT",
        MailStoreError.AlreadyExists => "ALREADYEXISTS",
        MailStoreError.OverQuota => "OVERQUOTA",
        MailStoreError.DiskFull => "LIMIT",
        MailStoreError.NotAllowed => "CANNOT",
        MailStoreError.InvalidName => "CANNOT",
        _ => "SERVERBUG",
    };

    static string StateName(ImapState state) => state switch
    {
        ImapState.NotAuthenticated => "not authenticated",
        ImapState.Authenticated => "authenticated",
        ImapState.Selected => "selected",
        _ => "logout",
    };

    void LogCommandText(byte[] text, bool redact)
    {
        if (redact)
        {
            // Tag and command name only: LOGIN and AUTHENTICATE carry credentials.
            int first = Array.IndexOf(text, (byte)' ');
            int second = first < 0 ? -1 : Array.IndexOf(text, (byte)' ', first + 1);
            Connection.LogCommand(Encoding.UTF8.GetString(text, 0, second < 0 ? text.Length : second) + " ***");
            return;
        }
        Connection.LogCommand(Encoding.UTF8.GetString(text, 0, Math.Min(text.Length, 2000)));
    }

    /// <summary>After a successful LOGIN or AUTHENTICATE: opens the account's mail and follows its changes.</summary>
    public async Task SignInAsync(UserAccount user, string mechanism, CancellationToken cancellationToken)
    {
        Account = await Store.OpenAccountAsync(user.Id, cancellationToken).ConfigureAwait(false);
        Account.Changed += OnMailboxChanged;
        User = user;
        State = ImapState.Authenticated;
        ImapLog.LoggedIn(Connection.Logger, Id, user.Address, mechanism);
    }

    /// <summary>SELECT/EXAMINE: the new mailbox replaces the old one (RFC 9051 6.3.2).</summary>
    public void Select(SelectedMailbox mailbox)
    {
        Selected = mailbox;
        State = ImapState.Selected;
    }

    public void Unselect()
    {
        Selected = null;
        State = ImapState.Authenticated;
    }

    public void Logout() => State = ImapState.Logout;

    /// <summary>After STARTTLS the command framer starts afresh (RFC 9051 6.2.1: the client discards cached state too).</summary>
    public void ResetFramer() => framer.Reset();

    /// <summary>RFC 9051 7.2.2 CAPABILITY, depending on the state and the connection.</summary>
    public string Capabilities()
    {
        var caps = new List<string> { "IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE" };
        if (State == ImapState.NotAuthenticated)
        {
            if (!Connection.IsSecure && !Connection.Listener.ImplicitTls)
                caps.Add("STARTTLS");
            if (PlaintextAuthAllowed)
                caps.Add("AUTH=PLAIN");
            else
                caps.Add("LOGINDISABLED");
            return string.Join(' ', caps);
        }
        caps.AddRange(["IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "LIST-EXTENDED", "LIST-STATUS",
            "SPECIAL-USE", "ESEARCH", "SEARCHRES", "STATUS=SIZE", $"APPENDLIMIT={Options.Imap.MaxLiteralSize}",
            "QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "BINARY", "UTF8=ACCEPT", "NOTIFY"]);
        // RFC 5256, RFC 5957, RFC 5267, RFC 9394
        caps.AddRange(["SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT", "PARTIAL"]);
        caps.AddRange(SyncCapabilities);
        return string.Join(' ', caps);
    }

    public async ValueTask DisposeAsync()
    {
        if (Account is not null)
        {
            Account.Changed -= OnMailboxChanged;
            await Account.DisposeAsync().ConfigureAwait(false);
            Account = null;
        }
    }
}

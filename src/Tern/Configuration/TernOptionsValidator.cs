using Tern.Net;

namespace Tern.Configuration;

/// <summary>Checks values that bind but make no sense, naming each key.</summary>
public static class TernOptionsValidator
{
    public static IReadOnlyList<ConfigProblem> Validate(TernOptions o)
    {
        var problems = new List<ConfigProblem>();
        void Check(bool ok, string key, string message)
        {
            if (!ok) problems.Add(new ConfigProblem(key, message));
        }
        void Positive(long value, string key) => Check(value > 0, key, $"must be greater than 0 (is {value})");

        Check(!string.IsNullOrWhiteSpace(o.HostName) && Uri.CheckHostName(o.HostName) == UriHostNameType.Dns,
            "HostName", $"'{o.HostName}' is not a host name");
        Check(!string.IsNullOrWhiteSpace(o.DataDirectory), "DataDirectory", "must not be empty");
        Check(o.ShutdownGraceSeconds >= 0, "ShutdownGraceSeconds", "must not be negative");
        Check(Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(o.Log.Level, true, out _), "Log:Level",
            $"'{o.Log.Level}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");

        if (!string.IsNullOrWhiteSpace(o.Tls.CertificateFile))
        {
            Check(File.Exists(o.Tls.CertificateFile), "Tls:CertificateFile", $"file not found: {o.Tls.CertificateFile}");
            var key = string.IsNullOrWhiteSpace(o.Tls.KeyFile) ? o.Tls.CertificateFile : o.Tls.KeyFile;
            Check(File.Exists(key), "Tls:KeyFile", $"file not found: {key}");
        }
        else
        {
            Check(string.IsNullOrWhiteSpace(o.Tls.KeyFile), "Tls:KeyFile", "set without Tls:CertificateFile");
        }
        Positive(o.Tls.ReloadCheckSeconds, "Tls:ReloadCheckSeconds");
        Positive(o.Limits.MaxConnections, "Limits:MaxConnections");
        Positive(o.Limits.MaxConnectionsPerIp, "Limits:MaxConnectionsPerIp");
        Check(o.Auth.FailureDelayMilliseconds >= 0, "Auth:FailureDelayMilliseconds", "must not be negative");
        Positive(o.Auth.MaxFailuresPerIp, "Auth:MaxFailuresPerIp");
        Check(o.Auth.LockoutSeconds >= 0, "Auth:LockoutSeconds", "must not be negative");
        Check(o.Auth.PasswordIterations >= 1000, "Auth:PasswordIterations", "must be at least 1000");

        for (int i = 0; i < o.Dns.Servers.Count; i++)
        {
            var s = o.Dns.Servers[i];
            Check(System.Net.IPAddress.TryParse(s, out _) || System.Net.IPEndPoint.TryParse(s, out _),
                $"Dns:Servers:{i}", $"'{s}' is not an IP address or address:port");
        }
        Positive(o.Dns.TimeoutSeconds, "Dns:TimeoutSeconds");

        CheckListener(o.Smtp.Mx, "Smtp:Mx", problems);
        CheckListener(o.Smtp.Submission, "Smtp:Submission", problems);
        CheckListener(o.Smtp.Submissions, "Smtp:Submissions", problems);
        CheckListener(o.Pop3.Plain, "Pop3:Plain", problems);
        CheckListener(o.Pop3.Tls, "Pop3:Tls", problems);
        CheckListener(o.Imap.Plain, "Imap:Plain", problems);
        CheckListener(o.Imap.Tls, "Imap:Tls", problems);
        if (o.Http.Enabled)
            CheckListener(new ListenerOptions { Enabled = true, Listen = o.Http.Listen }, "Http", problems);

        Positive(o.Smtp.IdleTimeoutSeconds, "Smtp:IdleTimeoutSeconds");
        Positive(o.Smtp.MaxMessageSize, "Smtp:MaxMessageSize");
        Check(o.Smtp.MaxRecipients >= 1, "Smtp:MaxRecipients", "must be at least 1 (RFC 5321 4.5.3.1.8 asks for 100)");
        Check(o.Smtp.MaxCommandLineLength >= 512, "Smtp:MaxCommandLineLength", "must be at least 512 (RFC 5321 4.5.3.1.4)");
        Check(o.Smtp.MaxDataLineLength >= 1000, "Smtp:MaxDataLineLength", "must be at least 1000 (RFC 5321 4.5.3.1.6)");
        Positive(o.Smtp.MaxCommandsBeforeMail, "Smtp:MaxCommandsBeforeMail");
        Positive(o.Smtp.MaxErrors, "Smtp:MaxErrors");
        Positive(o.Smtp.MaxUnknownRecipients, "Smtp:MaxUnknownRecipients");
        Check(o.Smtp.BareLineEndings is "Reject" or "Normalize", "Smtp:BareLineEndings", $"'{o.Smtp.BareLineEndings}' is not Reject or Normalize");

        Check(o.Pop3.IdleTimeoutSeconds >= 1, "Pop3:IdleTimeoutSeconds", "must be greater than 0");
        Check(o.Pop3.MaxLineLength >= 255, "Pop3:MaxLineLength", "must be at least 255 (RFC 2449 4)");
        Positive(o.Pop3.MaxErrors, "Pop3:MaxErrors");
        Positive(o.Imap.IdleTimeoutSeconds, "Imap:IdleTimeoutSeconds");
        Check(o.Imap.MaxLineLength >= 1000, "Imap:MaxLineLength", "must be at least 1000 (RFC 7162 4 asks for 8192)");
        Positive(o.Imap.MaxLiteralSize, "Imap:MaxLiteralSize");
        Positive(o.Imap.MaxNestingDepth, "Imap:MaxNestingDepth");
        Positive(o.Imap.MaxErrors, "Imap:MaxErrors");

        Check(!string.IsNullOrWhiteSpace(o.Queue.Directory), "Queue:Directory", "must not be empty");
        Check(!string.IsNullOrWhiteSpace(o.Queue.BadDirectory), "Queue:BadDirectory", "must not be empty");
        Positive(o.Relay.IntervalSeconds, "Relay:IntervalSeconds");
        Check(o.Relay.Port is > 0 and <= 65535, "Relay:Port", $"{o.Relay.Port} is not a port");
        Positive(o.Relay.MaxConcurrentDeliveries, "Relay:MaxConcurrentDeliveries");
        Positive(o.Relay.MaxConcurrentPerDomain, "Relay:MaxConcurrentPerDomain");
        Positive(o.Relay.FirstRetryDelaySeconds, "Relay:FirstRetryDelaySeconds");
        Check(o.Relay.MaxRetryDelaySeconds >= o.Relay.FirstRetryDelaySeconds, "Relay:MaxRetryDelaySeconds", "must not be below Relay:FirstRetryDelaySeconds");
        Positive(o.Relay.MaxQueueLifetimeSeconds, "Relay:MaxQueueLifetimeSeconds");
        Positive(o.Relay.ConnectTimeoutSeconds, "Relay:ConnectTimeoutSeconds");
        Positive(o.Relay.CommandTimeoutSeconds, "Relay:CommandTimeoutSeconds");
        Positive(o.Relay.DataTimeoutSeconds, "Relay:DataTimeoutSeconds");
        Check(o.Relay.DelayWarningSeconds >= 0, "Relay:DelayWarningSeconds", "must not be negative (0 turns delay warnings off)");
        Positive(o.Relay.MtaStsFetchTimeoutSeconds, "Relay:MtaStsFetchTimeoutSeconds");
        Check(o.Relay.MtaStsHttpsPort is > 0 and <= 65535, "Relay:MtaStsHttpsPort", $"{o.Relay.MtaStsHttpsPort} is not a port");
        if (!string.IsNullOrWhiteSpace(o.Relay.TestingTrustedCaFile))
            Check(File.Exists(o.Relay.TestingTrustedCaFile), "Relay:TestingTrustedCaFile", $"file not found: {o.Relay.TestingTrustedCaFile}");

        Check(o.Store.DefaultQuotaBytes >= 0, "Store:DefaultQuotaBytes", "must not be negative (0 is unlimited)");
        Positive(o.Store.MaxMailboxNameLength, "Store:MaxMailboxNameLength");
        Positive(o.Store.MaxMailboxDepth, "Store:MaxMailboxDepth");
        foreach (var (key, message) in Tern.MailAuth.MailAuthOptionsValidator.Validate(o.MailAuth))
            problems.Add(new ConfigProblem(key, message));
        return problems;
    }

    static void CheckListener(ListenerOptions listener, string key, List<ConfigProblem> problems)
    {
        if (!listener.Enabled)
            return;
        if (listener.Listen.Count == 0)
            problems.Add(new ConfigProblem($"{key}:Listen", "enabled but lists no address (set Enabled to false to turn it off)"));
        for (int i = 0; i < listener.Listen.Count; i++)
        {
            try { ListenerBinder.ParseEndPoint(listener.Listen[i], $"{key}:Listen:{i}"); }
            catch (ListenerBindException ex) { problems.Add(new ConfigProblem($"{key}:Listen:{i}", ex.Message[(ex.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..])); }
        }
    }
}

namespace Tern.Imap.Protocol;

/// <summary>RFC 7162 QRESYNC select parameter: what the client remembers of the mailbox.</summary>
/// <param name="KnownUids">The UIDs the client knows; null means all.</param>
/// <param name="KnownSequences">seq-match-data: message numbers paired with <paramref name="KnownSequenceUids"/>.</param>
public sealed record QresyncParameter(
    uint UidValidity, long ModSeq, SequenceSet? KnownUids, SequenceSet? KnownSequences, SequenceSet? KnownSequenceUids);

/// <summary>RFC 4466 select-params as far as Tern knows them: CONDSTORE and QRESYNC (RFC 7162 3.1.8, 3.2.5).</summary>
public sealed record SelectParameters(bool Condstore, QresyncParameter? Qresync)
{
    public static SelectParameters None { get; } = new(false, null);
}

/// <summary>RFC 7162 FETCH modifiers: CHANGEDSINCE and VANISHED (3.1.4, 3.2.6).</summary>
public sealed record FetchModifiers(long? ChangedSince, bool Vanished)
{
    public static FetchModifiers None { get; } = new(null, false);
}

/// <summary>Parses the RFC 7162 additions to SELECT, FETCH and STORE; malformed data is a BAD with a clear text.</summary>
/// <remarks><code>
/// select-param   = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
/// seq-match-data = "(" known-sequence-set SP known-uid-set ")"
/// fetch-modifier = "CHANGEDSINCE" SP mod-sequence-value / "VANISHED"
/// store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer
/// </code></remarks>
public static class SyncParameters
{
    /// <summary>Reads " (param ...)" after a mailbox name, when present.</summary>
    public static SelectParameters ReadSelect(ImapArgumentReader r)
    {
        if (!r.TryExpect(' '))
            return SelectParameters.None;
        r.OpenList();
        bool condstore = false;
        QresyncParameter? qresync = null;
        while (true)
        {
            var name = r.Atom().ToUpperInvariant();
            switch (name)
            {
                case "CONDSTORE":
                    condstore = true;
                    break;
                case "QRESYNC":
                    if (qresync is not null)
                        throw new ImapParseException("QRESYNC given twice");
                    r.Space();
                    qresync = ReadQresync(r);
                    break;
                default:
                    throw new ImapParseException($"Unknown SELECT parameter {name}");
            }
            if (r.TryCloseList())
                break;
            r.Space();
        }
        return new SelectParameters(condstore, qresync);
    }

    static QresyncParameter ReadQresync(ImapArgumentReader r)
    {
        r.OpenList();
        uint uidValidity = Wrap(r.NzNumber, "QRESYNC needs a UIDVALIDITY (nz-number)");
        r.Space();
        long modSeq = ModSeqValue(r, allowZero: false);
        SequenceSet? knownUids = null, knownSeqs = null, knownSeqUids = null;
        if (r.TryExpect(' '))
        {
            if (!r.PeekIs('('))
            {
                knownUids = KnownSet(r, "known-uids");
                if (r.TryExpect(' '))
                    (knownSeqs, knownSeqUids) = SeqMatch(r);
            }
            else
            {
                (knownSeqs, knownSeqUids) = SeqMatch(r);
            }
        }
        if (!r.TryCloseList())
            throw new ImapParseException("Malformed QRESYNC parameter: expected \")\"");
        return new QresyncParameter(uidValidity, modSeq, knownUids, knownSeqs, knownSeqUids);
    }

    static (SequenceSet, SequenceSet) SeqMatch(ImapArgumentReader r)
    {
        r.OpenList();
        var seqs = KnownSet(r, "known-sequence-set");
        if (!r.TryExpect(' '))
            throw new ImapParseException("Malformed seq-match-data: expected known-sequence-set SP known-uid-set");
        var uids = KnownSet(r, "known-uid-set");
        if (!r.TryCloseList())
            throw new ImapParseException("Malformed seq-match-data: expected \")\"");
        // RFC 7162 3.2.5: the two sets pair message numbers with UIDs, so they have the same size and the same order.
        if (Count(seqs) != Count(uids))
            throw new ImapParseException("Malformed seq-match-data: known-sequence-set and known-uid-set differ in size");
        return (seqs, uids);
    }

    /// <summary>A sequence set that names concrete numbers: no "$" and no "*" (RFC 7162 7 known-uids).</summary>
    static SequenceSet KnownSet(ImapArgumentReader r, string what)
    {
        SequenceSet set;
        try
        {
            set = r.SequenceSet(allowSaved: false);
        }
        catch (ImapParseException ex)
        {
            throw new ImapParseException($"Malformed {what}: {ex.Message}");
        }
        if (set.Ranges.Any(x => x.First == SequenceSet.Star || x.Last == SequenceSet.Star))
            throw new ImapParseException($"Malformed {what}: \"*\" is not allowed");
        return set;
    }

    static long Count(SequenceSet set) => set.Ranges.Sum(x => (long)Math.Max(x.First, x.Last) - Math.Min(x.First, x.Last) + 1);

    /// <summary>Reads " (modifier ...)" after FETCH attributes, when present.</summary>
    public static FetchModifiers ReadFetch(ImapArgumentReader r)
    {
        if (!r.TryExpect(' '))
            return FetchModifiers.None;
        r.OpenList();
        long? changedSince = null;
        bool vanished = false;
        while (true)
        {
            var name = r.Atom().ToUpperInvariant();
            switch (name)
            {
                case "CHANGEDSINCE":
                    r.Space();
                    // RFC 7162 7 says mod-sequence-value (non-zero); 0 is taken as "everything", as Dovecot does.
                    changedSince = ModSeqValue(r, allowZero: true);
                    break;
                case "VANISHED":
                    vanished = true;
                    break;
                default:
                    throw new ImapParseException($"Unknown FETCH modifier {name}");
            }
            if (r.TryCloseList())
                break;
            r.Space();
        }
        // RFC 7162 3.2.6: VANISHED only together with CHANGEDSINCE.
        if (vanished && changedSince is null)
            throw new ImapParseException("VANISHED requires CHANGEDSINCE");
        return new FetchModifiers(changedSince, vanished);
    }

    /// <summary>Reads "(UNCHANGEDSINCE n) " before the STORE item, when present; null when absent.</summary>
    public static long? ReadStore(ImapArgumentReader r)
    {
        if (!r.TryOpenList())
            return null;
        long? unchangedSince = null;
        while (true)
        {
            var name = r.Atom().ToUpperInvariant();
            if (name != "UNCHANGEDSINCE")
                throw new ImapParseException($"Unknown STORE modifier {name}");
            r.Space();
            unchangedSince = ModSeqValue(r, allowZero: true);
            if (r.TryCloseList())
                break;
            r.Space();
        }
        r.Space();
        return unchangedSince;
    }

    /// <summary>mod-sequence-value: 1 to 2^63-1; mod-sequence-valzer allows 0.</summary>
    public static long ModSeqValue(ImapArgumentReader r, bool allowZero)
    {
        long v = Wrap(r.Number64, "Invalid mod-sequence value");
        if (v == 0 && !allowZero)
            throw new ImapParseException("Invalid mod-sequence value: must be greater than 0");
        return v;
    }

    static T Wrap<T>(Func<T> read, string message)
    {
        try
        {
            return read();
        }
        catch (ImapParseException ex)
        {
            throw new ImapParseException($"{message} ({ex.Message})");
        }
    }
}

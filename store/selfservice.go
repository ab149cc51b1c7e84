package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"taxsms"
	"taxsms/audit"
)

// Self-service (seed Art. 13): a contact activates its service, or changes
// its number, by proving the new number with a one-time code sent to it.
//
// RequestSelfServiceCode answers the same whether or not the details name a
// contact: it always makes a challenge and returns its token, and sends the
// code only when they do. ConfirmSelfServiceCode then checks the code; a
// challenge that named no contact fails exactly as a wrong code does. So
// nothing tells whether an identifier, role or name exists before the code
// is proven.
//
// Known limits: the rate limits count then insert in one transaction, which
// SQLite serialises but PostgreSQL (read committed) may let two concurrent
// requests both pass at the edge of a limit; a request whose details match
// does a little more work (queueing the message) than one that does not.

// SelfService is the policy of the self-service codes; zero fields take the
// defaults shown.
type SelfService struct {
	CodeTTL   time.Duration // how long a code is valid: 5 minutes
	MaxTries  int           // wrong codes before the code is spent: 5
	Window    time.Duration // the period of the rate limits: 1 hour
	PerMobile int           // code requests per new number per Window: 3
	PerIP     int           // code requests per client address per Window: 10
}

func (p SelfService) withDefaults() SelfService {
	if p.CodeTTL <= 0 {
		p.CodeTTL = 5 * time.Minute
	}
	if p.MaxTries <= 0 {
		p.MaxTries = 5
	}
	if p.Window <= 0 {
		p.Window = time.Hour
	}
	if p.PerMobile <= 0 {
		p.PerMobile = 3
	}
	if p.PerIP <= 0 {
		p.PerIP = 10
	}
	return p
}

// The errors of self-service. They say nothing of whether the details
// named a contact.
var (
	ErrSelfServiceNumberLimit  = taxsms.Errorf(taxsms.EFORBIDDEN, "Too many codes were asked for this number: try again later.")
	ErrSelfServiceAddressLimit = taxsms.Errorf(taxsms.EFORBIDDEN, "Too many requests from this address: try again later.")
	ErrCodeWrong               = taxsms.Errorf(taxsms.EINVALID, "code: wrong code")
	ErrCodeLocked              = taxsms.Errorf(taxsms.EFORBIDDEN, "Too many wrong codes: ask for a new code.")
	ErrCodeExpired             = taxsms.Errorf(taxsms.EFORBIDDEN, "The code has expired or was used: ask for a new code.")
)

// CodeRequest asks for a self-service code.
type CodeRequest struct {
	Identifier string             // the taxpayer's identifier, in any accepted form
	Role       taxsms.ContactRole // the contact's role
	Name       string             // the contact's name, as the bureau holds it
	Mobile     string             // the new number, which receives the code
	IP         string             // the client's address, for the limits and the audit
	// Message returns the text of the SMS carrying code (its purpose and
	// validity). It is called only when the details match.
	Message func(code string) string
}

// SelfServiceCodeLen is the number of digits of a code.
const SelfServiceCodeLen = 6

// RequestSelfServiceCode checks the rate limits (ErrSelfServiceNumberLimit,
// ErrSelfServiceAddressLimit), then makes a challenge and returns its
// token, for ConfirmSelfServiceCode. If the identifier, role and name match
// a contact whose service the bureau has not cancelled, a code is queued by
// SMS (taxsms.KindOTP, interactive priority, expiring with the code) to the
// new number, in the same transaction; otherwise nothing is sent and the
// answer is the same. A bad number or role is EINVALID.
func (db *DB) RequestSelfServiceCode(ctx context.Context, p SelfService, r CodeRequest) (string, error) {
	p = p.withDefaults()
	mobile, err := taxsms.NormalizeMobile(r.Mobile)
	if err != nil {
		return "", err
	}
	if !r.Role.Valid() {
		return "", taxsms.Invalid("role", "unknown contact role %q", r.Role)
	}
	if r.Message == nil {
		return "", errors.New("self-service: no message text")
	}
	ip := cleanIP(r.IP)
	// The work of a code is done whatever the details: the same random
	// draws and hashes.
	code, err := randomCode()
	if err != nil {
		return "", err
	}
	token, salt := make([]byte, 32), make([]byte, 16)
	rand.Read(token)
	rand.Read(salt)
	tokenHash := sha256.Sum256(token)
	codeHash := hashCode(salt, code)
	now := db.Now().UTC().Truncate(time.Millisecond)

	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("PruneSelfServiceHits"), ms(now.Add(-p.Window))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("PruneSelfServiceCodes"), ms(now.Add(-24*time.Hour))); err != nil {
			return err
		}
		ipKey, mobileKey := db.box.Hash("selfservice ip "+ip), db.box.Hash("selfservice mobile "+mobile)
		for _, l := range []struct {
			kind  string
			key   []byte
			limit int
			err   error
		}{{"ip", ipKey, p.PerIP, ErrSelfServiceAddressLimit}, {"mobile", mobileKey, p.PerMobile, ErrSelfServiceNumberLimit}} {
			var n int
			if err := tx.QueryRowContext(ctx, db.q("CountSelfServiceHits"), l.kind, l.key, ms(now.Add(-p.Window))).Scan(&n); err != nil {
				return err
			}
			if n >= l.limit {
				return l.err
			}
		}
		for _, h := range []struct {
			kind string
			key  []byte
		}{{"ip", ipKey}, {"mobile", mobileKey}} {
			if _, err := tx.ExecContext(ctx, db.q("InsertSelfServiceHit"), h.kind, h.key, ms(now)); err != nil {
				return err
			}
		}
		contact, err := db.selfServiceContact(ctx, tx, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("InsertSelfServiceCode"), tokenHash[:], nullID(contact.ID), db.box.Seal(mobile),
			salt, codeHash, ms(now.Add(p.CodeTTL)), ip, ms(now)); err != nil {
			return err
		}
		if contact.ID == 0 {
			return nil
		}
		body := r.Message(code)
		return db.queueInTx(ctx, tx, ip, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindOTP,
			Priority: taxsms.PriorityInteractive, Mobile: mobile, TaxpayerID: contact.TaxpayerID, ContactID: contact.ID,
			Body: body, Segments: segmentsOf(body), ExpiresAt: now.Add(p.CodeTTL)})
	})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(token), nil
}

// selfServiceContact returns the contact the request names (ID, TaxpayerID
// set), or a zero contact if none matches.
func (db *DB) selfServiceContact(ctx context.Context, tx *sql.Tx, r CodeRequest) (taxsms.Contact, error) {
	var c taxsms.Contact
	var name, status string
	var taxpayerID int64
	err := tx.QueryRowContext(ctx, db.q("SelectSelfServiceContact"), taxsms.NormalizeIdentifier(r.Identifier), string(r.Role)).
		Scan(&c.ID, &taxpayerID, &name, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return taxsms.Contact{}, nil
	} else if err != nil {
		return c, err
	}
	if !sameName(name, r.Name) || taxsms.ServiceStatus(status) == taxsms.ServiceCancelled {
		return taxsms.Contact{}, nil
	}
	c.TaxpayerID = taxpayerID
	return c, nil
}

// sameName reports whether a typed name is the stored one, ignoring spaces
// and the case of Latin letters.
func sameName(stored, typed string) bool {
	fold := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	a, b := fold(stored), fold(typed)
	return a != "" && hmac.Equal([]byte(a), []byte(b))
}

// randomCode returns SelfServiceCodeLen random decimal digits.
func randomCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// hashCode is the stored form of a code: HMAC-SHA-256 keyed by the
// challenge's salt.
func hashCode(salt []byte, code string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(code))
	return m.Sum(nil)
}

// segmentsOf estimates the segments of a text for the record; the link that
// sends it sets the count it billed.
func segmentsOf(body string) int {
	n := utf8.RuneCountInString(body)
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

// queueInTx validates m and stores it queued in tx, with its audit record
// (actor: the system, at ip).
func (db *DB) queueInTx(ctx context.Context, tx *sql.Tx, ip string, m *taxsms.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	enc, hash, mask := db.sealMobile(m.Mobile)
	err := tx.QueryRowContext(ctx, db.q("InsertMessage"), string(m.Direction), string(m.Kind), int(m.Priority), enc, hash, mask,
		nullID(m.TaxpayerID), nullID(m.ContactID), nullID(m.UserID), nullID(m.OfficeID), nullID(m.AuthorID),
		nullID(m.CampaignID), m.Body, string(m.Coding), m.Segments, string(m.Status), sql.NullString{},
		ms(m.NotBefore), ms(m.ExpiresAt), ms(now), ms(now)).Scan(&m.ID)
	if err != nil {
		return db.messageError(err)
	}
	m.CreatedAt, m.UpdatedAt = now, now
	m.Timeline = []taxsms.StatusEvent{{At: now, Status: m.Status}}
	e := sentEntry(db.entry(ctx, audit.MessageSent, audit.Object{}, nil, nil, ""), []*taxsms.Message{m})
	e.IP = ip
	return db.appendAudit(ctx, tx, e)
}

// CodeConfirm proves a self-service code.
type CodeConfirm struct {
	Token string // from RequestSelfServiceCode
	Code  string // as typed
	IP    string // the client's address, for the audit
	// Announce returns the text sent to the old number when the number
	// changes; newMasked is the new number, masked.
	Announce func(newMasked string) string
}

// SelfServiceChange is what a proven code changed.
type SelfServiceChange struct {
	Contact   *taxsms.Contact // after the change
	OldMobile string          // the number before
	Activated bool            // the service was not active before
	Moved     bool            // the number changed (and the old one was told)
}

// ConfirmSelfServiceCode checks c.Code against the challenge of c.Token and,
// if right, activates the contact's service on the new number (channel
// self-service), records it in the audit log (the system, at c.IP), and
// queues an announcement to the old number if the number changed, all in
// one transaction; the code is then spent. A wrong code is ErrCodeWrong and
// counts a try; after SelfService.MaxTries of them, or once used, expired or
// unknown, the challenge is spent: ErrCodeLocked or ErrCodeExpired.
func (db *DB) ConfirmSelfServiceCode(ctx context.Context, p SelfService, c CodeConfirm) (*SelfServiceChange, error) {
	p = p.withDefaults()
	raw, err := base64.RawURLEncoding.DecodeString(c.Token)
	if err != nil || len(raw) != 32 {
		return nil, ErrCodeExpired
	}
	tokenHash := sha256.Sum256(raw)
	ip := cleanIP(c.IP)
	now := db.Now().UTC().Truncate(time.Millisecond)
	var out *SelfServiceChange
	var refused error // a refusal that still commits (a counted try)
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var id, tries int64
		var contactID sql.NullInt64
		var mobileEnc, salt, codeHash []byte
		var expires, used int64
		err := tx.QueryRowContext(ctx, db.q("SelectSelfServiceCode"), tokenHash[:]).
			Scan(&id, &contactID, &mobileEnc, &salt, &codeHash, &tries, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrCodeExpired
		} else if err != nil {
			return err
		}
		switch {
		case used != 0 || ms(now) >= expires:
			return ErrCodeExpired
		case tries >= int64(p.MaxTries):
			return ErrCodeLocked
		}
		if !hmac.Equal(hashCode(salt, strings.TrimSpace(c.Code)), codeHash) || !contactID.Valid {
			if _, err := tx.ExecContext(ctx, db.q("CountSelfServiceTry"), id); err != nil {
				return err
			}
			refused = ErrCodeWrong
			if tries+1 >= int64(p.MaxTries) {
				refused = ErrCodeLocked
			}
			return nil
		}
		res, err := tx.ExecContext(ctx, db.q("UseSelfServiceCode"), ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrCodeExpired
		}
		mobile, err := db.openMobile(mobileEnc)
		if err != nil {
			return err
		}
		ct, err := db.findContact(ctx, tx, contactID.Int64)
		if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			return ErrCodeExpired
		} else if err != nil {
			return err
		}
		if ct.Status == taxsms.ServiceCancelled {
			return ErrCodeExpired
		}
		old := *ct
		ct.Mobile, ct.Status, ct.StatusChannel, ct.StatusSince = mobile, taxsms.ServiceActive, taxsms.ChannelSelf, time.Time{}
		if err := ct.Validate(); err != nil {
			return err
		}
		changed, err := db.updateContact(ctx, tx, ct)
		if err != nil {
			return err
		}
		out = &SelfServiceChange{Contact: ct, OldMobile: old.Mobile, Activated: old.Status != taxsms.ServiceActive,
			Moved: old.Mobile != mobile}
		if changed {
			ct.StatusSince, ct.UpdatedAt = now, now
			what := "self-service: number changed"
			if out.Activated {
				what = "self-service: service activated"
			}
			e := db.entry(ctx, audit.ContactChanged, contactObject(ct.ID), contactRecord(&old), contactRecord(ct), what)
			e.IP = ip
			if err := db.appendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		if out.Moved && c.Announce != nil {
			body := c.Announce(taxsms.MaskMobile(mobile))
			return db.queueInTx(ctx, tx, ip, &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindInteractive,
				Priority: taxsms.PriorityInteractive, Mobile: old.Mobile, TaxpayerID: ct.TaxpayerID,
				Body: body, Segments: segmentsOf(body)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

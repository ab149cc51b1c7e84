package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"strings"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// runUser runs "taxsms user add|passwd|suspend|resume": accounts for the
// first administrator and for scripts. Every act is recorded in the audit
// archive as the system's, done from the command line.
func runUser(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "usage: taxsms user add LOGIN -name NAME -office CODE -role ROLE [-mobile N] [-password-stdin]\n" +
		"       taxsms user passwd LOGIN [-password-stdin]\n" +
		"       taxsms user suspend|resume LOGIN -reason TEXT"
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		fmt.Fprintln(stderr, usage)
		return errors.New("user: want a subcommand and a login")
	}
	sub, login := args[0], args[1]
	m := NewMain(environ, stdout, stderr)
	fs := m.FlagSet("user "+sub+" LOGIN [flags]", usage)
	name := fs.String("name", "", "the user's name (add)")
	office := fs.String("office", "", "the code of the user's office (add)")
	role := fs.String("role", "", "city_admin, branch_admin, operator, auditor or maintainer (add)")
	mobile := fs.String("mobile", "", "the user's mobile number, for internal notices (add)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one")
	reason := fs.String("reason", "", "why (suspend, resume)")
	if err := m.ParseFlags(fs, args[2:]); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	actor := audit.System
	hasher := auth.NewHasher(auth.Params{}, 0)
	password := func() (string, error) {
		if *fromStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return "", errors.New("no password on standard input")
			}
			pw := strings.TrimRight(line, "\r\n")
			return pw, auth.CheckPassword(login, pw)
		}
		return newPassword(), nil
	}
	setPassword := func(id int64, detail string) error {
		pw, err := password()
		if err != nil {
			return err
		}
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return err
		}
		if err := m.DB.SetPasswordHash(ctx, id, hash, actor, detail); err != nil {
			return err
		}
		if !*fromStdin {
			fmt.Fprintf(stdout, "password for %s: %s\n(shown once; the user should change it at first sign-in)\n", login, pw)
		}
		return nil
	}
	switch sub {
	case "add":
		o, err := m.DB.FindOfficeByCode(ctx, *office)
		if err != nil {
			return fmt.Errorf("office %q: %w", *office, err)
		}
		u := &taxsms.User{Login: login, Name: *name, OfficeID: o.ID, Role: taxsms.Role(*role), Mobile: *mobile}
		if err := m.DB.CreateUserAudited(ctx, u, actor, "taxsms user add (command line)"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s (%s, %s) created\n", u.Login, u.Role, o.Name)
		return setPassword(u.ID, "taxsms user add (command line)")
	case "passwd":
		id, _, err := m.DB.PasswordHash(ctx, login)
		if err != nil {
			return err
		}
		return setPassword(id, "taxsms user passwd (command line)")
	case "suspend", "resume":
		if *reason == "" {
			return taxsms.Invalid("reason", "required: the audit archive records why")
		}
		u, err := m.DB.FindUserByLogin(ctx, login)
		if err != nil {
			return err
		}
		held, err := m.DB.SuspendUser(ctx, u.ID, sub == "suspend", actor, *reason+" (taxsms user "+sub+", command line)")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s %sd; %d queued messages held\n", login, sub, held)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("user: unknown subcommand %q", sub)
}

// newPassword returns a random password of 16 characters from an alphabet
// without look-alikes (no 0/O, 1/l/I).
func newPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// runAudit runs "taxsms audit verify": it checks the audit archive's hash
// chain and names its first broken record.
func runAudit(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: taxsms audit verify [flags]")
	}
	m := NewMain(environ, stdout, stderr)
	if err := m.ParseFlags(m.FlagSet("audit verify [flags]", "Checks the audit archive's hash chain and names its first broken record."), args[1:]); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	return audit.RunVerify(ctx, m.DB, stdout)
}

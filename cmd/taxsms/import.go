package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"taxsms/importer"
	"taxsms/kb"
)

func runImport(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	m := NewMain(environ, stdout, stderr)
	fs := m.FlagSet("import offices|staff|taxpayers|contacts|obligations|filings|payments|deductions|faq|invoices FILE [flags]",
		"Imports a CSV (UTF-8 or GBK/GB18030, detected) or .xlsx file. Headers may be Chinese or English.\n"+
			"A file with bad rows imports nothing unless -skip-invalid is given; re-importing a file changes nothing.\n"+
			"Tax data (obligations, filings, payments, deductions) names taxpayers by identifier: import them first.\n"+
			"faq loads knowledge base entries (问题, 答案, 关键词, 分类), upserted by question; FILE :default is the built-in FAQ.\n"+
			"Invoices (the registry that answers SMS invoice checks) are known by code and number, or a 数电票 by its 20-digit number.")
	skip := fs.Bool("skip-invalid", false, "import the good rows and write the bad ones to a rejects file beside the input")
	rejects := fs.String("rejects", "", "where to write the rejects file (default: FILE with .rejects.csv)")
	if len(args) < 2 {
		fs.Usage()
		return fmt.Errorf("import: want a kind and a file")
	}
	kind, err := importer.ParseKind(args[0])
	if err != nil {
		return err
	}
	path := args[1]
	if kind == importer.FAQ && path == ":default" {
		if path, err = defaultFAQ(); err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(path))
	}
	if err := m.ParseFlags(fs, args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected argument %q", fs.Arg(0))
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	rep, err := importer.File(ctx, m.DB, kind, path, importer.Options{SkipInvalid: *skip, RejectsPath: *rejects, Location: m.Location})
	if rep != nil {
		fmt.Fprint(stdout, rep.String())
	}
	if err != nil {
		return fmt.Errorf("import %s: nothing imported: %d bad rows", path, len(rep.Errors))
	}
	return nil
}

// defaultFAQ writes the built-in knowledge base (kb.DefaultCSV) to a file
// of its own and returns its path, for the caller to remove.
func defaultFAQ() (string, error) {
	dir, err := os.MkdirTemp("", "taxsms-faq")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "faq.csv")
	return path, os.WriteFile(path, kb.DefaultCSV(), 0o600)
}

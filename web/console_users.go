package web

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strconv"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
)

// The users pages: the users of the user's scope (GET /users, searched by
// text, login, role and office, paged by id), a new user (GET /users/new), and a
// user's page (GET /users/{id}) with its forms: edit, permissions, password
// reset, suspension. Reading needs manage_users or read_all; changing needs
// manage_users, the user in the writer's scope, and — unless the writer is
// a city administrator — a user who is an operator (the store enforces
// each rule; the pages offer only what it would allow).

func (c *Console) usersRoutes(mux *http.ServeMux) {
	c.handle(mux, "GET /users", "", c.handleUsers)
	c.handle(mux, "GET /users/new", auth.PermManageUsers, c.handleNewUser)
	c.handle(mux, "POST /users", auth.PermManageUsers, c.handleNewUser)
	c.handle(mux, "GET /users/{id}", "", c.handleUser)
	c.handle(mux, "POST /users/{id}", auth.PermManageUsers, c.handleEditUser)
	c.handle(mux, "POST /users/{id}/permissions", auth.PermManageUsers, c.handleUserPermissions)
	c.handle(mux, "POST /users/{id}/password", auth.PermManageUsers, c.handleResetPassword)
	c.handle(mux, "POST /users/{id}/suspend", auth.PermManageUsers, c.handleSuspendUser)
}

// userRow is a user in the list, with the name of its office.
type userRow struct {
	*taxsms.User
	Office string
}

// usersPage is the data of the users list.
type usersPage struct {
	Users   []userRow
	Offices []officeRow
	Roles   []taxsms.Role
}

// handleUsers serves GET /users: the users of the scope, by id, PageSize a
// page, searched by text in the login or name ("q"), exact login, role and
// office subtree.
func (c *Console) handleUsers(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageUsers, auth.PermReadAll); err != nil {
		return err
	}
	after, err := r.Cursor()
	if err != nil {
		return err
	}
	f := newForm(r, "q", "login", "role", "office")
	tree, err := c.officeTree(r)
	if err != nil {
		return err
	}
	filter := taxsms.UserFilter{Login: f.Get("login"), Limit: PageSize + 1}
	if s := f.Get("role"); s != "" {
		if !taxsms.Role(s).Valid() {
			f.Fail("role", c.T(r, "users.err_role"))
		}
		filter.Role = taxsms.Role(s)
	}
	if s := f.Get("office"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !slices.ContainsFunc(tree, func(o officeRow) bool { return o.ID == id }) {
			f.Fail("office", c.T(r, "users.err_office"))
		}
		filter.Subtree = id
	}
	d := &usersPage{Offices: tree, Roles: taxsms.Roles}
	page := &Page{Title: "users.title", Form: f, Data: d}
	if !f.OK() {
		c.render(w, r, http.StatusBadRequest, "users", page)
		return nil
	}
	list, err := c.DB.SearchUsersAfter(r.Context(), filter, f.Get("q"), after)
	if err != nil {
		return err
	}
	more := len(list) > PageSize
	if more {
		list = list[:PageSize]
	}
	names := make(map[int64]string, len(tree))
	for _, o := range tree {
		names[o.ID] = o.Name
	}
	var last int64
	for _, u := range list {
		d.Users = append(d.Users, userRow{User: u, Office: names[u.OfficeID]})
		last = u.ID
	}
	page.List = r.Pager(more, last)
	c.render(w, r, http.StatusOK, "users", page)
	return nil
}

// grantableRoles returns the roles r's user may give: all of them for a
// city administrator, else operators.
func grantableRoles(r *Request) []taxsms.Role {
	if r.Actor.Role == taxsms.RoleCityAdmin {
		return taxsms.Roles
	}
	return []taxsms.Role{taxsms.RoleOperator}
}

// newUserPage is the data of the new user page and of the page that shows
// a password once.
type newUserPage struct {
	Offices  []officeRow
	Roles    []taxsms.Role
	User     *taxsms.User
	Password string // the generated password, shown once; "" when typed
}

var userFields = []string{"login", "name", "office", "role", "mobile", "password"}

// handleNewUser serves GET /users/new and POST /users: a new user in an
// office of the writer's scope, with its role's default permissions and an
// initial password, generated (and shown once) or typed.
func (c *Console) handleNewUser(w http.ResponseWriter, r *Request) error {
	f := newForm(r, userFields...)
	tree, err := c.officeTree(r)
	if err != nil {
		return err
	}
	d := &newUserPage{Offices: writableOffices(r, tree, auth.DataUsers), Roles: grantableRoles(r)}
	page := &Page{Title: "users.new", Form: f, Data: d}
	if r.Method == http.MethodGet {
		f.Values.Set("mode", "generate")
		f.Values.Set("role", string(taxsms.RoleOperator))
		c.render(w, r, http.StatusOK, "user_new", page)
		return nil
	}
	c.requireFields(r, f, "login", "name", "office", "role")
	u := &taxsms.User{Login: f.Get("login"), Name: f.Get("name"), Role: taxsms.Role(f.Get("role")), Mobile: f.Get("mobile")}
	if s := f.Get("office"); s != "" {
		if u.OfficeID, err = strconv.ParseInt(s, 10, 64); err != nil {
			f.Fail("office", c.T(r, "users.err_office"))
		}
	}
	if f.Get("role") != "" && !slices.Contains(d.Roles, u.Role) {
		f.Fail("role", c.T(r, "users.err_role"))
	}
	password := f.Values.Get("password")
	if f.Get("mode") == "set" {
		if err := auth.CheckPassword(u.Login, password); err != nil {
			f.Fail("password", c.T(r, "password.policy", auth.MinPasswordLength))
		}
	} else {
		password = newPassword()
		d.Password = password
	}
	if f.OK() {
		if err := c.failWith(r, f, u.Validate()); err != nil {
			return err
		}
	}
	if f.OK() {
		if err := c.failAt(r, f, c.DB.CreateUser(r.Context(), u)); err != nil {
			return err
		}
	}
	if !f.OK() {
		d.Password = ""
		c.render(w, r, http.StatusBadRequest, "user_new", page)
		return nil
	}
	hash, err := c.Hasher.Hash(r.Context(), password)
	if err != nil {
		return err
	}
	if err := c.DB.ResetPassword(r.Context(), u.ID, hash); err != nil {
		return err
	}
	d.User = u
	c.render(w, r, http.StatusCreated, "user_password", &Page{Title: "users.created_title", Data: d})
	return nil
}

// passwordAlphabet has no characters easily confused (0/O, 1/l/I).
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789"

// newPassword returns a random initial password of four groups of four
// characters ("aB3d-…", about 90 bits), to be shown once.
func newPassword() string {
	const n = len(passwordAlphabet)
	out := make([]byte, 0, 19)
	b := make([]byte, 1)
	for len(out) < 19 {
		if len(out)%5 == 4 {
			out = append(out, '-')
			continue
		}
		rand.Read(b)
		if int(b[0]) >= 256/n*n { // no bias towards the first characters
			continue
		}
		out = append(out, passwordAlphabet[int(b[0])%n])
	}
	return string(out)
}

// permRow is one permission's checkbox on the user's page.
type permRow struct {
	Perm     auth.Permission
	Held     bool
	Editable bool // the writer may grant or revoke it (auth.CanGrant)
}

// userPage is the data of a user's page.
type userPage struct {
	User        *taxsms.User
	Office      *taxsms.Office
	Offices     []officeRow // where the user may be moved
	Roles       []taxsms.Role
	Perms       []permRow // the role's ceiling
	CanEdit     bool      // the viewer may change the user
	Self        bool
	TOTPNeeded  bool // the role must use a second factor
	TOTPEnabled bool // the user enrolled one

	// The forms: edit, permissions, password reset, suspension.
	Edit, Grant, Reset, Suspend *Form
}

// loadUser returns the user of r's path and its office, within the
// viewer's scope, or ENOTFOUND.
func (c *Console) loadUser(r *Request) (*taxsms.User, *taxsms.Office, error) {
	id, err := r.pathID()
	if err != nil {
		return nil, nil, err
	}
	u, err := c.DB.FindUser(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	o, err := c.DB.FindOffice(r.Context(), u.OfficeID)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
		// The user is in scope but its office is not (an operator's own
		// record is read through the user, not the office).
		o, err = &taxsms.Office{ID: u.OfficeID}, nil
	}
	return u, o, err
}

// mayChangeUser reports whether r's user may change u of office o: it holds
// manage_users, o is in its write scope, and it is a city administrator or
// u is an operator. One's own record is changed from the account menu.
func mayChangeUser(r *Request, u *taxsms.User, o *taxsms.Office) bool {
	a := r.Actor
	return a.Has(auth.PermManageUsers) && a.UserID != u.ID && o.Path != "" &&
		a.Access(auth.DataUsers).Write.Contains(o.Path, u.ID) &&
		(a.Role == taxsms.RoleCityAdmin || u.Role == taxsms.RoleOperator)
}

// renderUser renders u's page; forms left nil are shown empty.
func (c *Console) renderUser(w http.ResponseWriter, r *Request, status int, u *taxsms.User, o *taxsms.Office, d *userPage) error {
	ctx := r.Context()
	d.User, d.Office, d.Self = u, o, r.Actor.UserID == u.ID
	d.CanEdit = mayChangeUser(r, u, o)
	held, err := c.DB.UserPermissions(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, p := range auth.RolePermissions(u.Role) {
		d.Perms = append(d.Perms, permRow{Perm: p, Held: slices.Contains(held, p),
			Editable: d.CanEdit && auth.CanGrant(r.Actor, u.Role, o.Path, []auth.Permission{p}) == nil})
	}
	d.TOTPNeeded = c.TOTP.RequireTOTP(u.Role)
	if rec, err := c.DB.LoginRecord(ctx, u.Login); err == nil {
		d.TOTPEnabled = rec.TOTPSecret != ""
	} else if taxsms.ErrorCode(err) != taxsms.ENOTFOUND {
		return err
	}
	if d.CanEdit {
		tree, err := c.officeTree(r)
		if err != nil {
			return err
		}
		d.Offices, d.Roles = writableOffices(r, tree, auth.DataUsers), grantableRoles(r)
	}
	empty := func(fields ...string) *Form {
		return &Form{Values: map[string][]string{}, Errors: map[string]string{}, fields: fields}
	}
	if d.Edit == nil {
		d.Edit = empty(userFields...)
		d.Edit.Values = map[string][]string{"name": {u.Name}, "office": {strconv.FormatInt(u.OfficeID, 10)}, "role": {string(u.Role)}}
	}
	if d.Grant == nil {
		d.Grant = empty("permissions")
	}
	if d.Reset == nil {
		d.Reset = empty("password")
		d.Reset.Values.Set("mode", "generate")
	}
	if d.Suspend == nil {
		d.Suspend = empty("reason")
	}
	c.render(w, r, status, "user", &Page{Title: "users.user", Data: d})
	return nil
}

// handleUser serves GET /users/{id}: a user of the viewer's scope.
func (c *Console) handleUser(w http.ResponseWriter, r *Request) error {
	if err := requireAny(r, auth.PermManageUsers, auth.PermReadAll); err != nil {
		return err
	}
	u, o, err := c.loadUser(r)
	if err != nil {
		return err
	}
	return c.renderUser(w, r, http.StatusOK, u, o, &userPage{})
}

// loadChangeable is loadUser for the forms: a user the viewer may not
// change is EFORBIDDEN.
func (c *Console) loadChangeable(r *Request) (*taxsms.User, *taxsms.Office, error) {
	u, o, err := c.loadUser(r)
	if err != nil {
		return nil, nil, err
	}
	if !mayChangeUser(r, u, o) {
		return nil, nil, errForbidden
	}
	return u, o, nil
}

// handleEditUser serves POST /users/{id}: saves the user's name, office,
// role and mobile number. The number is never shown in full: an empty
// field keeps it, "mobile_clear" removes it. A change of role resets the
// user's permissions to the new role's defaults.
func (c *Console) handleEditUser(w http.ResponseWriter, r *Request) error {
	u, o, err := c.loadChangeable(r)
	if err != nil {
		return err
	}
	f := newForm(r, userFields...)
	c.requireFields(r, f, "name", "office", "role")
	edited := *u
	edited.Name, edited.Role = f.Get("name"), taxsms.Role(f.Get("role"))
	if edited.OfficeID, err = strconv.ParseInt(f.Get("office"), 10, 64); err != nil && f.Get("office") != "" {
		f.Fail("office", c.T(r, "users.err_office"))
	}
	if f.Get("role") != "" && !slices.Contains(grantableRoles(r), edited.Role) {
		f.Fail("role", c.T(r, "users.err_role"))
	}
	switch {
	case f.Get("mobile_clear") != "":
		edited.Mobile = ""
	case f.Get("mobile") != "":
		edited.Mobile = f.Get("mobile")
	}
	if f.OK() {
		if err := c.failAt(r, f, c.DB.UpdateUser(r.Context(), &edited)); err != nil {
			return err
		}
	}
	if !f.OK() {
		return c.renderUser(w, r, http.StatusBadRequest, u, o, &userPage{Edit: f})
	}
	c.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "users.saved", u.Login)
	return nil
}

// handleUserPermissions serves POST /users/{id}/permissions: the user's
// whole new set of permissions (the checked "perm" boxes), within what the
// writer may grant (auth.CanGrant). Granted and revoked ones are audited.
func (c *Console) handleUserPermissions(w http.ResponseWriter, r *Request) error {
	u, o, err := c.loadChangeable(r)
	if err != nil {
		return err
	}
	f := newForm(r, "permissions")
	perms, err := auth.ParsePermissions(r.PostForm["perm"])
	if err == nil {
		err = c.DB.SetUserPermissions(r.Context(), u.ID, perms)
	}
	if err := c.failWith(r, f, err); err != nil {
		return err
	}
	if !f.OK() {
		if _, ok := f.Errors["permissions"]; !ok && f.Error != "" {
			f.Errors["permissions"], f.Error = f.Error, ""
		}
		return c.renderUser(w, r, http.StatusBadRequest, u, o, &userPage{Grant: f})
	}
	c.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "users.perms_saved", u.Login)
	return nil
}

// handleResetPassword serves POST /users/{id}/password: a new password,
// generated (mode "generate", shown once) or typed (mode "set"). The
// user's sessions end and its lock clears.
func (c *Console) handleResetPassword(w http.ResponseWriter, r *Request) error {
	u, o, err := c.loadChangeable(r)
	if err != nil {
		return err
	}
	f := newForm(r, "password")
	password := f.Values.Get("password")
	generated := ""
	if f.Get("mode") == "set" {
		if err := auth.CheckPassword(u.Login, password); err != nil {
			f.Fail("password", c.T(r, "password.policy", auth.MinPasswordLength))
			return c.renderUser(w, r, http.StatusBadRequest, u, o, &userPage{Reset: f})
		}
	} else {
		password = newPassword()
		generated = password
	}
	hash, err := c.Hasher.Hash(r.Context(), password)
	if err != nil {
		return err
	}
	if err := c.DB.ResetPassword(r.Context(), u.ID, hash); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "user_password", &Page{Title: "users.reset_title", Data: &newUserPage{User: u, Password: generated}})
	return nil
}

// handleSuspendUser serves POST /users/{id}/suspend: suspends (action
// "suspend") or resumes ("resume") the user, for a reason. Suspending ends
// its sessions and holds its queued manual messages.
func (c *Console) handleSuspendUser(w http.ResponseWriter, r *Request) error {
	u, o, err := c.loadChangeable(r)
	if err != nil {
		return err
	}
	f := newForm(r, "reason")
	suspend := f.Get("action") != "resume"
	if f.Get("reason") == "" {
		f.Fail("reason", c.T(r, "admin.reason_required"))
		return c.renderUser(w, r, http.StatusBadRequest, u, o, &userPage{Suspend: f})
	}
	a := r.Actor
	held, err := c.DB.SuspendUser(r.Context(), u.ID, suspend, audit.User(a.UserID, a.Login, a.Role), f.Get("reason"))
	if err := c.failWith(r, f, err); err != nil {
		return err
	}
	if !f.OK() {
		return c.renderUser(w, r, http.StatusBadRequest, u, o, &userPage{Suspend: f})
	}
	if suspend {
		c.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "users.suspended", u.Login, strconv.Itoa(held))
	} else {
		c.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "users.resumed", u.Login)
	}
	return nil
}

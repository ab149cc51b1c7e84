package web

import (
	"net/http"
	"strconv"
	"time"

	"taxsms"
	"taxsms/auth"
)

// officeView is an office as the API shows it.
type officeView struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id,omitempty"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone,omitempty"`
	Address   string    `json:"address,omitempty"`
	Path      string    `json:"path"`
	Suspended bool      `json:"suspended"`
	Created   time.Time `json:"created_at"`
	Updated   time.Time `json:"updated_at"`
}

func viewOffice(o *taxsms.Office) officeView {
	return officeView{ID: o.ID, ParentID: o.ParentID, Code: o.Code, Name: o.Name, Phone: o.Phone, Address: o.Address,
		Path: o.Path, Suspended: o.Suspended, Created: o.CreatedAt, Updated: o.UpdatedAt}
}

// officeIn is the body of POST and PATCH /api/v1/offices. An office's
// parent is chosen when it is made; suspension is the console's.
type officeIn struct {
	ParentID *int64  `json:"parent_id"` // POST only
	Code     *string `json:"code"`
	Name     *string `json:"name"`
	Phone    *string `json:"phone"`
	Address  *string `json:"address"`
}

func (in *officeIn) apply(o *taxsms.Office) {
	set(&o.Code, in.Code)
	set(&o.Name, in.Name)
	set(&o.Phone, in.Phone)
	set(&o.Address, in.Address)
}

// handleListOffices serves GET /api/v1/offices: the offices of the actor's
// scope in tree order, filtered by office (subtree) and code.
func (s *Server) handleListOffices(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r, "office", "code")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := taxsms.OfficeFilter{Code: q.Get("code"), Limit: q.Limit + 1}
	f.Subtree, err = s.officeFilter(r.Context(), q)
	var after string
	if err == nil {
		after, err = decodeCursor("offices", q.Get("cursor"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	offices, err := s.DB.ListOfficesAfter(r.Context(), f, after)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[officeView]{Items: []officeView{}}
	for i, o := range offices {
		if i == q.Limit {
			out.Next = encodeCursor("offices", offices[i-1].Path)
			break
		}
		out.Items = append(out.Items, viewOffice(o))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGetOffice serves GET /api/v1/offices/{id}.
func (s *Server) handleGetOffice(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "office")
	if err != nil {
		s.error(w, r, err)
		return
	}
	o, err := s.DB.FindOffice(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOffice(o))
}

// handleCreateOffice serves POST /api/v1/offices: a new office below
// parent_id (the actor's own office by default).
func (s *Server) handleCreateOffice(w http.ResponseWriter, r *http.Request) {
	var in officeIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	var o taxsms.Office
	if a := actorOf(r.Context()); a != nil {
		o.ParentID = a.OfficeID
	}
	set(&o.ParentID, in.ParentID)
	in.apply(&o)
	if o.ParentID != 0 {
		// A parent the actor may not read does not exist for it.
		if _, err := s.DB.FindOffice(r.Context(), o.ParentID); taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			s.error(w, r, taxsms.Invalid("parent_id", "no office with id %d", o.ParentID))
			return
		} else if err != nil {
			s.error(w, r, err)
			return
		}
	}
	if err := s.DB.CreateOffice(r.Context(), &o); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/offices/"+strconv.FormatInt(o.ID, 10))
	writeJSON(w, http.StatusCreated, viewOffice(&o))
}

// handleUpdateOffice serves PATCH /api/v1/offices/{id}: code, name, phone
// and address.
func (s *Server) handleUpdateOffice(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "office")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in officeIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.ParentID != nil {
		s.error(w, r, taxsms.Invalid("parent_id", "an office cannot be moved"))
		return
	}
	o, err := s.DB.FindOffice(r.Context(), id)
	if err == nil {
		in.apply(o)
		err = s.DB.UpdateOffice(r.Context(), o)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOffice(o))
}

// userView is a member of staff as the API shows it: the number masked.
type userView struct {
	ID       int64     `json:"id"`
	Login    string    `json:"login"`
	Name     string    `json:"name"`
	OfficeID int64     `json:"office_id"`
	Role     string    `json:"role"`
	Status   string    `json:"status"`
	Mobile   string    `json:"mobile,omitempty"`
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

func viewUser(u *taxsms.User) userView {
	v := userView{ID: u.ID, Login: u.Login, Name: u.Name, OfficeID: u.OfficeID, Role: string(u.Role),
		Status: string(u.Status), Created: u.CreatedAt, Updated: u.UpdatedAt}
	if u.Mobile != "" {
		v.Mobile = taxsms.MaskMobile(u.Mobile)
	}
	return v
}

// userIn is the body of POST and PATCH /api/v1/users. Passwords, second
// factors, permissions beyond the role's defaults and suspension are the
// console's.
type userIn struct {
	Login    *string `json:"login"`
	Name     *string `json:"name"`
	OfficeID *int64  `json:"office_id"`
	Role     *string `json:"role"`
	Mobile   *string `json:"mobile"`
}

func (in *userIn) apply(u *taxsms.User) {
	set(&u.Login, in.Login)
	set(&u.Name, in.Name)
	set(&u.OfficeID, in.OfficeID)
	if in.Role != nil {
		u.Role = taxsms.Role(*in.Role)
	}
	set(&u.Mobile, in.Mobile)
}

// handleListUsers serves GET /api/v1/users: the users of the actor's scope
// by id, filtered by office (subtree), role and login.
func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	q, err := parseList(r, "office", "role", "login")
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := taxsms.UserFilter{Role: taxsms.Role(q.Get("role")), Login: q.Get("login"), Limit: q.Limit + 1}
	if f.Role != "" && !f.Role.Valid() {
		err = taxsms.Invalid("role", "unknown role %q", f.Role)
	}
	if err == nil {
		f.Subtree, err = s.officeFilter(r.Context(), q)
	}
	var after int64
	if err == nil {
		after, err = decodeIDCursor("users", q.Get("cursor"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	users, err := s.DB.ListUsersAfter(r.Context(), f, after)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := page[userView]{Items: []userView{}}
	for i, u := range users {
		if i == q.Limit {
			out.Next = encodeCursor("users", strconv.FormatInt(users[i-1].ID, 10))
			break
		}
		out.Items = append(out.Items, viewUser(u))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGetUser serves GET /api/v1/users/{id}.
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user")
	if err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.DB.FindUser(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewUser(u))
}

// mayManage returns nil if a may make (or keep) a user of role in office:
// the office must be one a may read (else EINVALID, as if it did not
// exist), and a must be able to grant that role its default permissions
// there (auth.CanGrant): a branch administrator manages only operators of
// its subtree.
func (s *Server) mayManage(r *http.Request, a *auth.Actor, role taxsms.Role, officeID int64) error {
	o, err := s.DB.FindOffice(r.Context(), officeID)
	if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
		return taxsms.Invalid("office_id", "no office with id %d", officeID)
	} else if err != nil {
		return err
	}
	if !role.Valid() {
		return taxsms.Invalid("role", "unknown role %q", role)
	}
	return auth.CanGrant(a, role, o.Path, auth.DefaultPermissions(role))
}

// handleCreateUser serves POST /api/v1/users: a new user with its role's
// default permissions, who sets a password through the console (or
// `taxsms user passwd`). Needs manage_users, and a branch administrator
// makes only operators of its subtree.
func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var in userIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	a := actorOf(r.Context())
	var u taxsms.User
	if a != nil {
		u.OfficeID = a.OfficeID
	}
	in.apply(&u)
	if err := u.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.mayManage(r, a, u.Role, u.OfficeID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.DB.CreateUser(r.Context(), &u); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
	writeJSON(w, http.StatusCreated, viewUser(&u))
}

// handleUpdateUser serves PATCH /api/v1/users/{id}: login, name, office,
// role and number. The actor must be able to manage the user both as it
// was and as it becomes.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in userIn
	if err := decodeBody(w, r, maxSmallBody, &in); err != nil {
		s.error(w, r, err)
		return
	}
	a := actorOf(r.Context())
	u, err := s.DB.FindUser(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.mayManage(r, a, u.Role, u.OfficeID); err != nil {
		s.error(w, r, err)
		return
	}
	in.apply(u)
	if err := u.Validate(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.mayManage(r, a, u.Role, u.OfficeID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.DB.UpdateUser(r.Context(), u); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewUser(u))
}

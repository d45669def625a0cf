"""University identity: CAS single sign-on and the directory (LDAP, SupAnn) as source of people."""

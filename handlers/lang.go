package handlers

import (
	"github.com/labstack/echo/v4"

	"everymeter/i18n"
)

// langOf is the language the client reads (Accept-Language; zh-CN unless it prefers English).
func langOf(c echo.Context) i18n.Lang {
	return i18n.FromHeader(c.Request().Header.Get("Accept-Language"))
}

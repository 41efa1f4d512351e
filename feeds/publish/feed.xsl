<?xml version="1.0" encoding="UTF-8"?>
<!--
  Shows an RSS 2.0 or Atom 1.0 document of this site as a readable page when a
  browser opens it. Feed readers ignore it. Every value is output as text, and
  only http(s) links become links.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">

  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:variable name="lang" select="(rss/channel/language | atom:feed/@xml:lang)[1]"/>
    <xsl:variable name="title" select="(rss/channel/title | atom:feed/atom:title)[1]"/>
    <xsl:variable name="self"
        select="(rss/channel/atom:link[@rel='self']/@href | atom:feed/atom:link[@rel='self']/@href)[1]"/>
    <xsl:variable name="home"
        select="(rss/channel/link | atom:feed/atom:link[not(@rel) or @rel='alternate']/@href)[1]"/>
    <html>
      <xsl:if test="$lang">
        <xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      </xsl:if>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title><xsl:value-of select="$title"/></title>
        <style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1{font-size:1.6rem;margin-bottom:.25rem}h2{font-size:1.1rem;margin:0}
.note{background:#fff8dc;border:1px solid #e8d9a0;border-radius:.4rem;padding:.75rem 1rem}
.note code{display:block;word-break:break-all;background:#fff;padding:.25rem .5rem;margin-top:.5rem}
ul.items{list-style:none;padding:0}ul.items>li{border-top:1px solid #ddd;padding:1rem 0}
.meta{color:#666;font-size:.9rem}
        </style>
      </head>
      <body>
        <div class="note">
          <p>This is a web feed. Copy its URL into your feed reader to subscribe.<br/>
          这是一个订阅源（RSS/Atom）：把下面的地址复制到阅读器中即可订阅。</p>
          <code><xsl:value-of select="$self"/></code>
        </div>
        <h1><xsl:value-of select="$title"/></h1>
        <xsl:for-each select="(rss/channel/description | atom:feed/atom:subtitle)[1]">
          <p><xsl:value-of select="."/></p>
        </xsl:for-each>
        <xsl:if test="$home">
          <p class="meta"><xsl:call-template name="link">
            <xsl:with-param name="href" select="$home"/>
            <xsl:with-param name="text" select="'All feeds of this site · 本站全部订阅源'"/>
          </xsl:call-template></p>
        </xsl:if>
        <ul class="items">
          <xsl:apply-templates select="rss/channel/item | atom:feed/atom:entry"/>
        </ul>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <h2><xsl:call-template name="link">
        <xsl:with-param name="href" select="link"/>
        <xsl:with-param name="text" select="title"/>
      </xsl:call-template></h2>
      <p class="meta">
        <xsl:value-of select="pubDate"/>
        <xsl:if test="pubDate and dc:creator"> · </xsl:if>
        <xsl:value-of select="dc:creator"/>
      </p>
      <xsl:if test="description">
        <p><xsl:value-of select="description"/></p>
      </xsl:if>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <h2><xsl:call-template name="link">
        <xsl:with-param name="href" select="atom:link[not(@rel) or @rel='alternate']/@href"/>
        <xsl:with-param name="text" select="atom:title"/>
      </xsl:call-template></h2>
      <p class="meta">
        <xsl:choose>
          <xsl:when test="atom:published"><xsl:value-of select="atom:published"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="atom:updated"/></xsl:otherwise>
        </xsl:choose>
        <xsl:if test="atom:author/atom:name"> · <xsl:value-of select="atom:author/atom:name"/></xsl:if>
      </p>
      <xsl:if test="atom:summary">
        <p><xsl:value-of select="atom:summary"/></p>
      </xsl:if>
    </li>
  </xsl:template>

  <!-- A link when href is an http(s) URL, else the text alone. -->
  <xsl:template name="link">
    <xsl:param name="href"/>
    <xsl:param name="text"/>
    <xsl:variable name="url" select="normalize-space($href)"/>
    <xsl:choose>
      <xsl:when test="starts-with($url, 'http://') or starts-with($url, 'https://')">
        <a href="{$url}"><xsl:value-of select="$text"/></a>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>

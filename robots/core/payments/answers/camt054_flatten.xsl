<?xml version="1.0" encoding="UTF-8"?>
<!-- Flattens a camt.054 into one tab-separated line per TxDtls, or per Ntry that has none,
     in document order: what robots/core/payments/answers/camt054_fast.py reads with Arrow.
     NAMESPACE is replaced by the file's own camt.054 namespace before it is compiled. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:c="NAMESPACE">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:variable name="tab" select="'&#9;'"/>
  <xsl:template match="/">
    <xsl:for-each select="/c:Document/*/c:Ntfctn/c:Ntry/c:NtryDtls/c:TxDtls | /c:Document/*/c:Ntfctn/c:Ntry[not(c:NtryDtls/c:TxDtls)]">
      <xsl:variable name="tx" select="self::c:TxDtls"/>
      <xsl:variable name="e" select="ancestor-or-self::c:Ntry[1]"/>
      <xsl:variable name="sts" select="$e/c:Sts"/>
      <xsl:choose>
        <xsl:when test="$sts/*"><xsl:value-of select="normalize-space($sts/c:Cd)"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="normalize-space($sts)"/></xsl:otherwise>
      </xsl:choose><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($e/c:CdtDbtInd)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/c:CdtDbtInd)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($e/c:RvslInd)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="count($e/c:NtryDtls/c:TxDtls)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($e/c:Amt)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="$e/c:Amt/@Ccy"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/c:Amt)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="$tx/c:Amt/@Ccy"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="count($tx/c:Amt)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/c:AmtDtls/c:TxAmt/c:Amt)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="$tx/c:AmtDtls/c:TxAmt/c:Amt/@Ccy"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="count($tx/c:AmtDtls/c:TxAmt/c:Amt)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/c:Refs/c:EndToEndId)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/c:Refs/c:PmtInfId)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/c:Refs/c:MsgId)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/../c:Btch/c:PmtInfId)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($tx/../c:Btch/c:MsgId)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="count($tx/c:RtrInf)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($e/c:BookgDt/c:Dt)"/><xsl:value-of select="$tab"/>
      <xsl:value-of select="normalize-space($e/c:BookgDt/c:DtTm)"/>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>

<#-- THIRD-PARTY.txt: one block per runtime dependency, with the licenses its POM declares. -->
Third-party software in lib/ of this distribution
=================================================

peerdist ships these libraries unmodified, each under the license(s) named here (as declared in
the library's own Maven POM). Many jars also carry their own LICENSE/NOTICE files under META-INF/.
Generated at build time from the dependency list; do not edit.

<#list dependencyMap as e>
<#assign project = e.getKey()/>
<#assign licenses = e.getValue()/>
- ${project.groupId}:${project.artifactId}:${project.version}<#if project.name??> (${project.name})</#if>
<#if project.url??>    ${project.url}
</#if>
    License: <#list licenses as l>${l}<#sep>; </#sep></#list>

</#list>

function imgOut = HuoPhysEO(img, maxOutput, hou_n, gammaRemoval)
% Written for the itmn-bench tests; NOT the HDR Toolbox. Echoes its parameters into the output.
imgOut = img * maxOutput + hou_n + gammaRemoval;
end
